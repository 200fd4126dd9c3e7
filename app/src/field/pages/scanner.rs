//! Reads a QR label with the phone's rear camera: the browser's `BarcodeDetector` where it
//! works, otherwise camera frames decoded in WASM (rqrr, in a chunk of its own fetched only
//! then). Hands over the registration code found in the label's URL (`…/v/{code}`).
//!
//! `BarcodeDetector` is used only when it lists `qr_code` and its first `detect()` succeeds:
//! on Android phones without Google Play services (most sold in mainland China) the
//! constructor exists but every `detect()` fails.

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

/// Why the camera did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanProblem {
    /// The phone has no camera, or none the browser may use.
    NoCamera,
    /// The user (or the browser's settings) refused the camera.
    Refused,
    /// The page is not on a secure address, where browsers never open the camera.
    Insecure,
}

fn problem_message(locale: Locale, problem: ScanProblem) -> &'static str {
    match problem {
        ScanProblem::NoCamera => td_string!(locale, field.no_camera),
        ScanProblem::Refused => td_string!(locale, field.camera_refused),
        ScanProblem::Insecure => td_string!(locale, field.camera_insecure),
    }
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
            {move || problem.get().map(|p| view! {
                <p class="banner banner-warn" data-testid="scan-problem">{problem_message(i18n.get_locale(), p)}</p>
            })}
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

    fn get(target: &JsValue, name: &str) -> Option<JsValue> {
        Reflect::get(target, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// The browser's `BarcodeDetector` for QR codes, when it has one that says it reads them.
    async fn native_detector() -> Option<JsValue> {
        let window = web_sys::window()?;
        let ctor: js_sys::Function = get(&window, "BarcodeDetector")?.dyn_into().ok()?;
        let formats: js_sys::Function = get(&ctor, "getSupportedFormats")?.dyn_into().ok()?;
        let formats: Promise = formats.call0(&ctor).ok()?.dyn_into().ok()?;
        let formats: Array = JsFuture::from(formats).await.ok()?.dyn_into().ok()?;
        if !formats.includes(&JsValue::from_str("qr_code"), 0) {
            return None;
        }
        let opts = Object::new();
        Reflect::set(&opts, &JsValue::from_str("formats"), &Array::of1(&JsValue::from_str("qr_code"))).ok()?;
        Reflect::construct(&ctor, &Array::of1(&opts)).ok()
    }

    /// One frame through the browser's detector: `Err` when the detector itself fails.
    async fn detect_native(detector: &JsValue, video: &web_sys::HtmlVideoElement) -> Result<Option<String>, ()> {
        let detect: js_sys::Function = get(detector, "detect").ok_or(())?.dyn_into().map_err(|_| ())?;
        let promise: Promise = detect.call1(detector, video).map_err(|_| ())?.dyn_into().map_err(|_| ())?;
        let found: Array = JsFuture::from(promise).await.map_err(|_| ())?.dyn_into().map_err(|_| ())?;
        Ok(get(&found.get(0), "rawValue").and_then(|v| v.as_string()))
    }

    /// Decodes a greyscale frame. Lazy: rqrr is a WASM chunk of its own, fetched the first time
    /// a frame has to be decoded here rather than by the browser.
    #[leptos::lazy]
    fn decode_qr(width: usize, height: usize, luma: Vec<u8>) -> Option<String> {
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma[y * width + x]);
        img.detect_grids().into_iter().find_map(|g| g.decode().ok().map(|(_, text)| text))
    }

    async fn detect_wasm(video: &web_sys::HtmlVideoElement, canvas: &web_sys::HtmlCanvasElement) -> Option<String> {
        let (w, h) = (video.video_width(), video.video_height());
        if w == 0 || h == 0 {
            return None;
        }
        canvas.set_width(w);
        canvas.set_height(h);
        let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        ctx.draw_image_with_html_video_element(video, 0.0, 0.0).ok()?;
        let data = ctx.get_image_data(0.0, 0.0, f64::from(w), f64::from(h)).ok()?.data();
        let luma: Vec<u8> = data
            .chunks_exact(4)
            .map(|p| ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000) as u8)
            .collect();
        decode_qr(w as usize, h as usize, luma).await
    }

    /// Why `getUserMedia` failed, from the error's name.
    fn problem_of(error: &JsValue) -> ScanProblem {
        match get(error, "name").and_then(|n| n.as_string()).as_deref() {
            Some("NotAllowedError" | "SecurityError") => ScanProblem::Refused,
            _ => ScanProblem::NoCamera,
        }
    }

    /// Opens the rear camera and reads frames until a code is found or `scanning` turns off.
    pub async fn scan(
        video: NodeRef<leptos::html::Video>,
        canvas: NodeRef<leptos::html::Canvas>,
        scanning: RwSignal<bool>,
    ) -> Result<Option<String>, ScanProblem> {
        let window = web_sys::window().ok_or(ScanProblem::NoCamera)?;
        if !window.is_secure_context() {
            return Err(ScanProblem::Insecure);
        }
        let devices = window.navigator().media_devices().map_err(|_| ScanProblem::NoCamera)?;
        let constraints = web_sys::MediaStreamConstraints::new();
        let video_opts = Object::new();
        let facing = Object::new();
        let _ = Reflect::set(&facing, &JsValue::from_str("ideal"), &JsValue::from_str("environment"));
        let _ = Reflect::set(&video_opts, &JsValue::from_str("facingMode"), &facing);
        constraints.set_video(&video_opts);
        constraints.set_audio(&JsValue::FALSE);
        let promise = devices.get_user_media_with_constraints(&constraints).map_err(|e| problem_of(&e))?;
        let stream: web_sys::MediaStream =
            JsFuture::from(promise).await.map_err(|e| problem_of(&e))?.dyn_into().map_err(|_| ScanProblem::NoCamera)?;
        let (Some(video), Some(canvas)) = (video.get_untracked(), canvas.get_untracked()) else {
            stop_tracks(&stream);
            return Ok(None);
        };
        video.set_src_object(Some(&stream));
        if let Ok(p) = video.play() {
            let _ = JsFuture::from(p).await;
        }
        let mut native = native_detector().await;
        let mut found = None;
        while scanning.get_untracked() && found.is_none() {
            found = match &native {
                Some(d) => match detect_native(d, &video).await {
                    Ok(text) => text,
                    Err(()) => {
                        // The detector exists but does not work here: decode in WASM from now on.
                        native = None;
                        continue;
                    }
                },
                None => detect_wasm(&video, &canvas).await,
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
