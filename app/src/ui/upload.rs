//! Sending a file chosen in a form to a REST endpoint from the browser, without leaving the page.

/// What the server answered: its status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends the first file of `input` as the raw body of a `method` request to `url` (same origin,
/// with the session cookie). `None` when no file is chosen; `Err` when the network failed.
#[cfg(feature = "hydrate")]
pub async fn send_file(method: &str, url: &str, input: &web_sys::HtmlInputElement) -> Result<Option<Answer>, ()> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return Ok(None) };
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_body(&file.into());
    let headers = web_sys::Headers::new().map_err(|_| ())?;
    headers.set("accept", "application/json").map_err(|_| ())?;
    init.set_headers(&headers.into());
    let window = web_sys::window().ok_or(())?;
    let resp = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(|_| ())?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| ())?;
    let text = JsFuture::from(resp.text().map_err(|_| ())?).await.map_err(|_| ())?;
    Ok(Some(Answer { status: resp.status(), body: text.as_string().unwrap_or_default() }))
}

/// On the server nothing is ever sent (forms only submit in the browser).
#[cfg(not(feature = "hydrate"))]
pub async fn send_file<T>(_method: &str, _url: &str, _input: &T) -> Result<Option<Answer>, ()> {
    Ok(None)
}
