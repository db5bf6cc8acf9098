//! A scrolled area as high as its content is at the width it gets, that scrolls only where the
//! window is lower: the Comics page's bar above the covers.
//!
//! GTK 4.8's scrolled window asks its child for a height at no width in particular, which for
//! a [`Fold`](crate::ui::fold::Fold) is that of its column: in a wide window its row would sit
//! above an empty band. This one holds a scrolled window and asks its content for a height at
//! the width it is given, as later GTK versions do.

use relm4::gtk::{self, glib, prelude::*, subclass::prelude::*};

mod imp {
    use std::cell::OnceCell;

    use super::*;

    #[derive(Default)]
    pub struct FittingScroll {
        pub scroll: OnceCell<gtk::ScrolledWindow>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for FittingScroll {
        const NAME: &'static str = "VistazoFittingScroll";
        type Type = super::FittingScroll;
        type ParentType = gtk::Widget;

        fn class_init(class: &mut Self::Class) {
            class.set_accessible_role(gtk::AccessibleRole::Generic);
        }
    }

    impl ObjectImpl for FittingScroll {
        fn constructed(&self) {
            self.parent_constructed();
            // No scrollbar, which would ask for a height of its own: it scrolls by the wheel
            // and to the control that takes the focus.
            let scroll = gtk::ScrolledWindow::builder()
                .hscrollbar_policy(gtk::PolicyType::Never)
                .vscrollbar_policy(gtk::PolicyType::External)
                .propagate_natural_height(true)
                .build();
            scroll.set_parent(&*self.obj());
            let _ = self.scroll.set(scroll);
        }

        fn dispose(&self) {
            if let Some(scroll) = self.scroll.get() {
                scroll.unparent();
            }
        }
    }

    impl WidgetImpl for FittingScroll {
        fn request_mode(&self) -> gtk::SizeRequestMode {
            gtk::SizeRequestMode::HeightForWidth
        }

        fn measure(&self, orientation: gtk::Orientation, for_size: i32) -> (i32, i32, i32, i32) {
            let Some(scroll) = self.scroll.get() else {
                return (0, 0, -1, -1);
            };
            let (min, natural, _, _) = scroll.measure(orientation, for_size);
            match scroll.child() {
                Some(child) if orientation == gtk::Orientation::Vertical && for_size >= 0 => {
                    let (_, child_natural, _, _) =
                        child.measure(gtk::Orientation::Vertical, for_size);
                    (min, child_natural.max(min), -1, -1)
                }
                _ => (min, natural, -1, -1),
            }
        }

        fn size_allocate(&self, width: i32, height: i32, baseline: i32) {
            if let Some(scroll) = self.scroll.get() {
                scroll.allocate(width, height, baseline, None);
            }
        }
    }
}

glib::wrapper! {
    pub struct FittingScroll(ObjectSubclass<imp::FittingScroll>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl FittingScroll {
    pub fn new() -> Self {
        glib::Object::new()
    }

    /// Shows `child` in the scrolled area.
    pub fn set_child(&self, child: &impl IsA<gtk::Widget>) {
        if let Some(scroll) = self.imp().scroll.get() {
            scroll.set_child(Some(child));
        }
    }
}
