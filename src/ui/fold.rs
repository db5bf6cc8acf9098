//! A row of widgets that becomes a column when the window is too narrow for it: the Review
//! page's cover and candidates, the Interiors page's buttons. libadwaita 1.2 has no
//! breakpoints, and a leaflet shows one side at a time; this keeps both sides on screen, one
//! above the other, and lets the page around it scroll.
//!
//! It lays its children out side by side when the width it gets holds each of them at its
//! natural width, or at its minimum for those that expand (and is at least `fold_below`, when
//! that is set), else one under the other,
//! each as wide as the fold and as tall as it naturally is: nothing is squeezed, the
//! scrolled page around it takes the extra height.

use relm4::gtk::{self, glib, prelude::*, subclass::prelude::*};

mod imp {
    use std::cell::Cell;

    use super::*;

    #[derive(Default)]
    pub struct Fold {
        pub spacing: Cell<i32>,
        /// Narrower than this, the children are stacked even when they would fit in a row.
        pub fold_below: Cell<i32>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Fold {
        const NAME: &'static str = "VistazoFold";
        type Type = super::Fold;
        type ParentType = gtk::Widget;

        fn class_init(class: &mut Self::Class) {
            class.set_accessible_role(gtk::AccessibleRole::Group);
        }
    }

    impl ObjectImpl for Fold {
        fn dispose(&self) {
            while let Some(child) = self.obj().first_child() {
                child.unparent();
            }
        }
    }

    impl WidgetImpl for Fold {
        fn request_mode(&self) -> gtk::SizeRequestMode {
            gtk::SizeRequestMode::HeightForWidth
        }

        fn compute_expand(&self, hexpand: &mut bool, vexpand: &mut bool) {
            for child in self.obj().shown() {
                *hexpand |= child.compute_expand(gtk::Orientation::Horizontal);
                *vexpand |= child.compute_expand(gtk::Orientation::Vertical);
            }
        }

        fn measure(&self, orientation: gtk::Orientation, for_size: i32) -> (i32, i32, i32, i32) {
            let fold = self.obj();
            let children = fold.shown();
            let gaps = self.spacing.get() * (children.len().saturating_sub(1) as i32);
            if orientation == gtk::Orientation::Horizontal {
                // As a column it needs the widest child; as a row, all of them side by side.
                let (mut min, mut natural) = (0, 0);
                for child in &children {
                    let (child_min, child_natural, _, _) =
                        child.measure(gtk::Orientation::Horizontal, -1);
                    min = min.max(child_min);
                    natural += child_natural;
                }
                let natural = (natural + gaps).max(self.fold_below.get()).max(min);
                return (min, natural, -1, -1);
            }
            let height = |width: i32| {
                if fold.folds_at(width) {
                    let stacked: i32 = children
                        .iter()
                        .map(|child| child.measure(gtk::Orientation::Vertical, width).1)
                        .sum();
                    (stacked + gaps, stacked + gaps)
                } else {
                    let widths = fold.row_widths(width);
                    children
                        .iter()
                        .zip(widths)
                        .fold((0, 0), |(min, natural), (child, w)| {
                            let (child_min, child_natural, _, _) =
                                child.measure(gtk::Orientation::Vertical, w);
                            (min.max(child_min), natural.max(child_natural))
                        })
                }
            };
            if for_size >= 0 {
                let (min, natural) = height(for_size);
                (min, natural, -1, -1)
            } else {
                // The least height is the column's at the least width; the natural one is
                // the row's at the natural width, which is lower when the row fits, and GTK
                // wants a natural height no lower than the least.
                let (min_width, natural_width, _, _) =
                    self.measure(gtk::Orientation::Horizontal, -1);
                let min = height(min_width).0;
                (min, height(natural_width).1.max(min), -1, -1)
            }
        }

        fn size_allocate(&self, width: i32, height: i32, _baseline: i32) {
            let fold = self.obj();
            let children = fold.shown();
            let spacing = self.spacing.get();
            if fold.folds_at(width) {
                let mut y = 0;
                for child in &children {
                    let child_height = child.measure(gtk::Orientation::Vertical, width).1;
                    child.size_allocate(&gtk::Allocation::new(0, y, width, child_height), -1);
                    y += child_height + spacing;
                }
            } else {
                let mut x = 0;
                for (child, child_width) in children.iter().zip(fold.row_widths(width)) {
                    child.size_allocate(&gtk::Allocation::new(x, 0, child_width, height), -1);
                    x += child_width + spacing;
                }
            }
        }
    }
}

glib::wrapper! {
    pub struct Fold(ObjectSubclass<imp::Fold>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl Fold {
    /// An empty fold with `spacing` pixels between its children, stacked whenever its width is
    /// under `fold_below` (0: only when they do not fit side by side).
    pub fn new(spacing: i32, fold_below: i32) -> Self {
        let fold: Self = glib::Object::new();
        fold.imp().spacing.set(spacing);
        fold.imp().fold_below.set(fold_below);
        fold
    }

    pub fn append(&self, child: &impl IsA<gtk::Widget>) {
        child.set_parent(self);
    }

    /// The visible children, in order.
    fn shown(&self) -> Vec<gtk::Widget> {
        let mut shown = Vec::new();
        let mut child = self.first_child();
        while let Some(widget) = child {
            if widget.should_layout() {
                shown.push(widget.clone());
            }
            child = widget.next_sibling();
        }
        shown
    }

    /// Whether the children are stacked when the fold is `width` wide: a row needs each child
    /// at its natural width, but those that expand, which make do with their minimum.
    fn folds_at(&self, width: i32) -> bool {
        let children = self.shown();
        let gaps = self.imp().spacing.get() * (children.len().saturating_sub(1) as i32);
        let row: i32 = children
            .iter()
            .map(|child| {
                let (min, natural, _, _) = child.measure(gtk::Orientation::Horizontal, -1);
                if child.compute_expand(gtk::Orientation::Horizontal) {
                    min
                } else {
                    natural
                }
            })
            .sum();
        width < row + gaps || width < self.imp().fold_below.get()
    }

    /// How wide each child is in a row `width` wide: those that do not expand their natural
    /// width, those that do their minimum and an equal share of what is left.
    fn row_widths(&self, width: i32) -> Vec<i32> {
        let children = self.shown();
        let gaps = self.imp().spacing.get() * (children.len().saturating_sub(1) as i32);
        let expands: Vec<bool> = children
            .iter()
            .map(|child| child.compute_expand(gtk::Orientation::Horizontal))
            .collect();
        let mut widths: Vec<i32> = children
            .iter()
            .zip(&expands)
            .map(|(child, expands)| {
                let (min, natural, _, _) = child.measure(gtk::Orientation::Horizontal, -1);
                if *expands { min } else { natural.max(min) }
            })
            .collect();
        let mut left = (width - gaps - widths.iter().sum::<i32>()).max(0);
        let mut sharing = expands.iter().filter(|expands| **expands).count() as i32;
        for (width, _) in widths
            .iter_mut()
            .zip(&expands)
            .filter(|(_, expands)| **expands)
        {
            let share = left / sharing;
            *width += share;
            left -= share;
            sharing -= 1;
        }
        widths
    }
}
