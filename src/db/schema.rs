//! Diesel's view of the tables Vistazo reads and writes. The Babelcomics4 tables are declared
//! with only the columns every version of that application has: the optional `embedding`
//! columns are read with plain SQL after checking they exist, and the ComicVine ids, whose
//! columns differ between generations, through [`super::layout`].

diesel::table! {
    comicbooks (id_comicbook) {
        id_comicbook -> Integer,
        path -> Text,
        id_comicbook_info -> Nullable<Text>,
        calidad -> Integer,
        en_papelera -> Bool,
    }
}

diesel::table! {
    volumens (id_volume) {
        id_volume -> Integer,
        nombre -> Text,
        deck -> Text,
        descripcion -> Text,
        url -> Text,
        image_url -> Text,
        id_publisher -> Integer,
        anio_inicio -> Integer,
        cantidad_numeros -> Integer,
        id_comicvine -> Nullable<Integer>,
    }
}

diesel::table! {
    comicbooks_info (id_comicbook_info) {
        id_comicbook_info -> Integer,
        titulo -> Text,
        id_volume -> Integer,
        numero -> Text,
        fecha_tapa -> Integer,
        resumen -> Nullable<Text>,
        notas -> Nullable<Text>,
        calificacion -> Double,
        url_api_detalle -> Nullable<Text>,
        url_sitio_web -> Nullable<Text>,
        orden_clasificacion -> Double,
        fue_actualizado_api -> Bool,
    }
}

diesel::table! {
    comicbooks_info_covers (id_cover) {
        id_cover -> Integer,
        id_comicbook_info -> Integer,
        url_imagen -> Text,
    }
}

diesel::table! {
    publishers (id_publisher) {
        id_publisher -> Integer,
        nombre -> Text,
        id_comicvine -> Nullable<Integer>,
    }
}

diesel::table! {
    vz_catalog_cover_files (id_cover) {
        id_cover -> Integer,
        file_name -> Text,
    }
}

diesel::table! {
    vz_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    vz_embeddings (id) {
        id -> Integer,
        subject -> Text,
        subject_id -> BigInt,
        model -> Text,
        dim -> Integer,
        vector -> Binary,
        created_at -> Text,
    }
}

diesel::table! {
    vz_photos (id) {
        id -> BigInt,
        path -> Text,
        content_hash -> Text,
        width -> Integer,
        height -> Integer,
        imported_at -> Text,
        brightness -> Nullable<Double>,
        contrast -> Nullable<Double>,
        sharpness -> Nullable<Double>,
        colourfulness -> Nullable<Double>,
        indoor_score -> Nullable<Double>,
        room_score -> Nullable<Double>,
        room_type -> Nullable<Text>,
    }
}

diesel::table! {
    vz_photo_measurements (photo_id) {
        photo_id -> BigInt,
        noise -> Double,
        tilt -> Double,
        straightness -> Double,
        colour_variety -> Double,
        fingerprint -> Binary,
    }
}

diesel::table! {
    vz_photo_labels (photo_id) {
        photo_id -> BigInt,
        label -> Text,
        source -> Text,
        confidence -> Nullable<Double>,
        round_id -> Nullable<BigInt>,
        labeled_at -> Text,
    }
}

diesel::table! {
    vz_label_history (id) {
        id -> BigInt,
        photo_id -> BigInt,
        old_label -> Nullable<Text>,
        old_source -> Nullable<Text>,
        new_label -> Nullable<Text>,
        new_source -> Nullable<Text>,
        changed_at -> Text,
    }
}

diesel::table! {
    vz_training_rounds (id) {
        id -> BigInt,
        created_at -> Text,
        embedding_model -> Text,
        human_labels -> BigInt,
        auto_labels -> BigInt,
        folds -> BigInt,
        accuracy -> Nullable<Double>,
        metrics -> Text,
        head -> Binary,
        ranker -> Binary,
    }
}

diesel::table! {
    vz_auto_label_rounds (id) {
        id -> BigInt,
        created_at -> Text,
        training_round_id -> BigInt,
        min_confidence -> Double,
        considered -> BigInt,
        labeled -> BigInt,
        counts -> Text,
    }
}

diesel::joinable!(vz_photo_labels -> vz_photos (photo_id));
diesel::joinable!(vz_photo_measurements -> vz_photos (photo_id));
diesel::joinable!(comicbooks_info -> volumens (id_volume));
diesel::joinable!(comicbooks_info_covers -> comicbooks_info (id_comicbook_info));
diesel::allow_tables_to_appear_in_same_query!(
    comicbooks,
    volumens,
    comicbooks_info,
    comicbooks_info_covers,
    publishers,
    vz_catalog_cover_files,
    vz_settings,
    vz_embeddings,
    vz_photos,
    vz_photo_labels,
    vz_photo_measurements,
    vz_label_history,
    vz_training_rounds,
    vz_auto_label_rounds,
);
