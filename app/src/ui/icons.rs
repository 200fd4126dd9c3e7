//! Symbols drawn as inline SVG in the text's colour: an emoji needs a font with emoji, which a
//! phone or a county office's computer may lack (the bell showed as an empty box).

use leptos::prelude::*;

/// A 24-unit stroked icon drawn at `size` pixels, hidden from screen readers (the control it
/// sits in carries the words).
#[component]
fn Icon(size: u32, children: Children) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width=size height=size aria-hidden="true" focusable="false"
            fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            {children()}
        </svg>
    }
}

/// The notification bell.
#[component]
pub fn BellIcon() -> impl IntoView {
    view! {
        <Icon size=20>
            <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
            <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        </Icon>
    }
}

/// A warning triangle.
#[component]
pub fn WarningIcon() -> impl IntoView {
    view! {
        <Icon size=16>
            <path d="M10.29 3.86 1.82 18a2 2 0 0 0 1.71 3h16.94a2 2 0 0 0 1.71-3L13.71 3.86a2 2 0 0 0-3.42 0z" />
            <path d="M12 9v4" />
            <path d="M12 17h.01" />
        </Icon>
    }
}
