//! The names reader on file names kept apart from its unit tests (tests/fixtures/names): series
//! and issue number each right for at least 90 % of them, all of series, volume, number and
//! year right for at least 80 %.

use vistazo::library::naming::parse_file_name;

#[test]
fn held_out_names_are_read_as_people_read_them() {
    let table = include_str!("fixtures/names/held_out.tsv");
    let (mut total, mut series, mut number, mut all) = (0, 0, 0, 0);
    let mut misread = Vec::new();
    for line in table
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 5, "five fields: {line}");
        let parsed = parse_file_name(fields[0]);
        let text = |value: Option<String>| value.unwrap_or_default();
        let series_right = text(parsed.series.clone()) == fields[1];
        let number_right = text(parsed.number.clone()) == fields[3];
        let volume_right = text(parsed.volume.map(|v| v.to_string())) == fields[2];
        let year_right = text(parsed.year.map(|y| y.to_string())) == fields[4];
        total += 1;
        series += usize::from(series_right);
        number += usize::from(number_right);
        if series_right && number_right && volume_right && year_right {
            all += 1;
        } else {
            misread.push(format!("{}: {parsed:?}", fields[0]));
        }
    }
    assert!(total >= 100, "the table has {total} names");
    let share = |count: usize| count as f64 / total as f64;
    eprintln!(
        "{total} names: series {:.3}, number {:.3}, all four {:.3}",
        share(series),
        share(number),
        share(all)
    );
    assert!(share(series) >= 0.9, "series: {misread:#?}");
    assert!(share(number) >= 0.9, "number: {misread:#?}");
    assert!(share(all) >= 0.8, "all four: {misread:#?}");
}
