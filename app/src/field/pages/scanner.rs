//! Reads a QR label with the phone's rear camera: the browser's `BarcodeDetector` where it
//! exists, otherwise camera frames decoded in WASM (rqrr). Hands over the registration code
//! found in the label's URL (`…/v/{code}`).

use crate::i18n::*;
use leptos::prelude::*;

/// The registration code in a scanned label: the last path segment after `/v/`, or the text itself.
pub fn code_from_scan(text: &str) -> String {
    let t = text.trim();
    match t.rfind("/v/") {
        Some(i) => t[i + 3..].split(['?', '#', '/']).next().unwrap_or_default().to_owned(),
        None => t.to_owned(),
    }
}

/// Why scanning stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanProblem {
    /// No camera, or the user refused it.
    NoCamera,
}

/// A "scan the label" button that opens the rear camera and reports the first code it reads.
#[component]
pub fn QrScanner(#[prop(into)] on_code: Callback<String>) -> impl IntoView {
    let i18n = use_i18n();
    let video = NodeRef::<leptos::html::Video>::new();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let scanning = RwSignal::new(false);
    let problem = RwSignal::new(None::<ScanProblem>);
    let start = move |_| {
        problem.set(None);
        scanning.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match camera::scan(video, canvas, scanning).await {
                Ok(Some(text)) => on_code.run(code_from_scan(&text)),
                Ok(None) => {}
                Err(p) => problem.set(Some(p)),
            }
            scanning.set(false);
        });
    };
    #[cfg(not(feature = "hydrate"))]
    let _ = on_code;
    let stop = move |_| scanning.set(false);
    view! {
        <div class="scanner">
            <video node_ref=video class="scanner-video" class:hidden=move || !scanning.get() playsinline=true muted=true></video>
            <canvas node_ref=canvas class="hidden"></canvas>
            {move || {
                if scanning.get() {
                    view! { <button type="button" class="button" on:click=stop>{td_string!(i18n.get_locale(), field.scan_stop)}</button> }.into_any()
                } else {
                    view! {
                        <button type="button" class="button primary big" on:click=start data-testid="scan">
                            {td_string!(i18n.get_locale(), field.scan)}
                        </button>
                    }
                        .into_any()
                }
            }}
            {move || problem.get().map(|_| view! { <p class="banner banner-warn">{td_string!(i18n.get_locale(), field.no_camera)}</p> })}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod camera {
    use super::ScanProblem;
    use js_sys::{Array, Object, Promise, Reflect};
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    async fn sleep(ms: i32) {
        let promise = Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let _ = JsFuture::from(promise).await;
    }

    fn stop_tracks(stream: &web_sys::MediaStream) {
        for t in stream.get_tracks().iter() {
            if let Ok(track) = t.dyn_into::<web_sys::MediaStreamTrack>() {
                track.stop();
            }
        }
    }

    /// The browser's BarcodeDetector for QR codes, when it has one.
    fn detector() -> Option<JsValue> {
        let window = web_sys::window()?;
        let ctor = Reflect::get(&window, &JsValue::from_str("BarcodeDetector")).ok()?;
        let ctor: js_sys::Function = ctor.dyn_into().ok()?;
        let opts = Object::new();
        let formats = Array::of1(&JsValue::from_str("qr_code"));
        Reflect::set(&opts, &JsValue::from_str("formats"), &formats).ok()?;
        Reflect::construct(&ctor, &Array::of1(&opts)).ok()
    }

    async fn detect_native(detector: &JsValue, video: &web_sys::HtmlVideoElement) -> Option<String> {
        let detect: js_sys::Function = Reflect::get(detector, &JsValue::from_str("detect")).ok()?.dyn_into().ok()?;
        let promise: Promise = detect.call1(detector, video).ok()?.dyn_into().ok()?;
        let found: Array = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
        let first = found.get(0);
        Reflect::get(&first, &JsValue::from_str("rawValue")).ok()?.as_string()
    }

    fn detect_wasm(video: &web_sys::HtmlVideoElement, canvas: &web_sys::HtmlCanvasElement) -> Option<String> {
        let (w, h) = (video.video_width(), video.video_height());
        if w == 0 || h == 0 {
            return None;
        }
        canvas.set_width(w);
        canvas.set_height(h);
        let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        ctx.draw_image_with_html_video_element(video, 0.0, 0.0).ok()?;
        let data = ctx.get_image_data(0.0, 0.0, f64::from(w), f64::from(h)).ok()?.data();
        let (w, h) = (w as usize, h as usize);
        let luma: Vec<u8> = data
            .chunks_exact(4)
            .map(|p| ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000) as u8)
            .collect();
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| luma[y * w + x]);
        img.detect_grids().into_iter().find_map(|g| g.decode().ok().map(|(_, text)| text))
    }

    /// Opens the rear camera and reads frames until a code is found or `scanning` turns off.
    pub async fn scan(
        video: NodeRef<leptos::html::Video>,
        canvas: NodeRef<leptos::html::Canvas>,
        scanning: RwSignal<bool>,
    ) -> Result<Option<String>, ScanProblem> {
        let window = web_sys::window().ok_or(ScanProblem::NoCamera)?;
        let devices = window.navigator().media_devices().map_err(|_| ScanProblem::NoCamera)?;
        let constraints = web_sys::MediaStreamConstraints::new();
        let video_opts = Object::new();
        let facing = Object::new();
        let _ = Reflect::set(&facing, &JsValue::from_str("ideal"), &JsValue::from_str("environment"));
        let _ = Reflect::set(&video_opts, &JsValue::from_str("facingMode"), &facing);
        constraints.set_video(&video_opts);
        constraints.set_audio(&JsValue::FALSE);
        let promise = devices.get_user_media_with_constraints(&constraints).map_err(|_| ScanProblem::NoCamera)?;
        let stream: web_sys::MediaStream = JsFuture::from(promise)
            .await
            .map_err(|_| ScanProblem::NoCamera)?
            .dyn_into()
            .map_err(|_| ScanProblem::NoCamera)?;
        let (Some(video), Some(canvas)) = (video.get_untracked(), canvas.get_untracked()) else {
            stop_tracks(&stream);
            return Ok(None);
        };
        video.set_src_object(Some(&stream));
        if let Ok(p) = video.play() {
            let _ = JsFuture::from(p).await;
        }
        let native = detector();
        let mut found = None;
        while scanning.get_untracked() && found.is_none() {
            found = match &native {
                Some(d) => detect_native(d, &video).await,
                None => detect_wasm(&video, &canvas),
            };
            if found.is_none() {
                sleep(250).await;
            }
        }
        stop_tracks(&stream);
        video.set_src_object(None);
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_out_of_label_urls() {
        assert_eq!(code_from_scan("https://nrmm.example.cn/v/14010500000017"), "14010500000017");
        assert_eq!(code_from_scan(" http://127.0.0.1:3000/v/1401050000001X?x=1 "), "1401050000001X");
        assert_eq!(code_from_scan("14010500000017"), "14010500000017");
    }
}
