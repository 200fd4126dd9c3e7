//! The security headers of every response: a Content-Security-Policy (pages of the app get one
//! with the request's script nonce, which the hydration scripts carry), no framing, no MIME
//! sniffing, a same-origin referrer, and HSTS when the public URL is https.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

/// The policy: scripts only from this origin (plus, on app pages, the inline hydration scripts
/// that carry `nonce`) and WebAssembly compilation; styles, images and requests from this origin
/// (images also as `data:`/`blob:` for photo previews and QR codes); no plugins, no `<base>`,
/// forms posting only here, and no page may frame ours. Pages without a nonce (the public label
/// page, the label sheet) keep their small inline `<style>` and run no script.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let (scripts, styles) = match nonce {
        Some(n) => (format!("'self' 'nonce-{n}' 'wasm-unsafe-eval'"), "'self'"),
        None => ("'self' 'wasm-unsafe-eval'".to_owned(), "'self' 'unsafe-inline'"),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Adds the headers a response lacks: the nonce-less policy (an app page set its own),
/// `X-Frame-Options`, `X-Content-Type-Options`, `Referrer-Policy`, and with `https` HSTS.
pub fn add_security_headers(headers: &mut HeaderMap, https: bool) {
    let mut set = |name: HeaderName, value: &str| {
        if !headers.contains_key(&name)
            && let Ok(v) = HeaderValue::from_str(value)
        {
            headers.insert(name, v);
        }
    };
    set(header::CONTENT_SECURITY_POLICY, &content_security_policy(None));
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
}

/// Sets the app page's policy with this request's script nonce (called while the page renders,
/// before the first byte is sent). A page is never reused from a cache without asking: it
/// names the bundle files of the build that rendered it, and what it shows depends on who asks.
pub fn page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if let Ok(v) = HeaderValue::from_str(&content_security_policy(Some(&nonce.to_string()))) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_pages_allow_their_nonce_and_nothing_inline_else() {
        let p = content_security_policy(Some("abc"));
        assert!(p.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"), "{p}");
        assert!(p.contains("style-src 'self';") && p.contains("frame-ancestors 'none'"), "{p}");
        assert!(!p.contains("unsafe-inline") && !p.contains("'unsafe-eval'"), "{p}");
        let plain = content_security_policy(None);
        assert!(plain.contains("script-src 'self' 'wasm-unsafe-eval';") && !plain.contains("nonce"), "{plain}");
    }

    #[test]
    fn headers_are_added_once_and_hsts_only_with_https() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'"));
        add_security_headers(&mut h, false);
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], "default-src 'none'", "a page's own policy stays");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY));
        add_security_headers(&mut h, true);
        assert!(h.contains_key(header::STRICT_TRANSPORT_SECURITY));
    }
}
