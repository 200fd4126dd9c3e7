//! `nrmm-site`: the steps of the browser bundle's build that no package does for a project
//! built without cargo-leptos (see `build_site` in `scripts/lib.sh`).
//!
//! - `nrmm-site split INPUT.wasm DIR` splits the WASM at its `#[lazy]` points (Leptos' lazy
//!   routes) with `wasm_split_cli_support`, the library cargo-leptos uses: `DIR/nrmm_split.wasm`
//!   is the main module for wasm-bindgen, the chunks and their loader `__wasm_split.js` go beside
//!   it, and `__wasm_split_manifest.json` says which chunks each split point needs.
//! - `nrmm-site pack DIR` names every file by its content (`nrmm.<hash>.js`, …), rewrites the
//!   references between them, writes `assets.json` (the names the server puts in pages, and the
//!   split manifest) and a Brotli and a gzip copy of each file beside it.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const MAIN: &str = "nrmm";
const LOADER: &str = "__wasm_split.js";
const MANIFEST: &str = "__wasm_split_manifest.json";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["split", input, dir] => split(Path::new(input), Path::new(dir)),
        ["pack", dir] => pack(Path::new(dir)),
        _ => Err("usage: nrmm-site split INPUT.wasm DIR | nrmm-site pack DIR".into()),
    };
    if let Err(e) = outcome {
        eprintln!("nrmm-site: {e}");
        std::process::exit(1);
    }
}

fn split(input: &Path, dir: &Path) -> Result<()> {
    let wasm = fs::read(input).map_err(|e| format!("reading {}: {e}", input.display()))?;
    fs::create_dir_all(dir)?;
    let main_out = dir.join(format!("{MAIN}_split.wasm"));
    let main_module = format!("./{MAIN}.js");
    let link_name = format!("./{LOADER}");
    let mut options = wasm_split_cli_support::Options::new(&wasm);
    options.output_dir = dir;
    options.main_out_path = &main_out;
    options.main_module = &main_module;
    options.link_name = &link_name;
    let out = wasm_split_cli_support::transform(options).map_err(|e| format!("splitting: {e}"))?;
    let manifest: BTreeMap<_, _> = out.prefetch_map.into_iter().collect();
    fs::write(dir.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;
    println!("split into {} chunks for {} split points", out.split_modules.len(), manifest.len());
    Ok(())
}

/// The first 16 hex digits of the SHA-256 of `parts`.
fn hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
        h.update([0]);
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()).into())
}

/// Replaces `from` by `to` in `text`, failing when `from` is absent (a reference the bundle's
/// tools stopped writing would otherwise go unnoticed until a browser failed to load a chunk).
fn replace_all(text: &str, from: &str, to: &str, what: &str) -> Result<String> {
    if !text.contains(from) {
        return Err(format!("{what} does not mention {from}").into());
    }
    Ok(text.replace(from, to))
}

fn pack(dir: &Path) -> Result<()> {
    let main_wasm = dir.join(format!("{MAIN}.wasm"));
    let main_js = dir.join(format!("{MAIN}.js"));
    let css = dir.join(format!("{MAIN}.css"));
    let loader = dir.join(LOADER);
    let split = loader.exists();

    // Chunks first: their names are written in the loader and the manifest.
    let mut chunk_names = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let is_chunk = path.extension().is_some_and(|e| e == "wasm") && path != main_wasm;
        if is_chunk {
            let stem = path.file_stem().and_then(|s| s.to_str()).ok_or("chunk name")?.to_owned();
            let hashed = format!("{stem}.{}", hash(&[&fs::read(&path)?]));
            fs::rename(&path, dir.join(format!("{hashed}.wasm")))?;
            chunk_names.insert(stem, hashed);
        }
    }
    let mut manifest = Value::Object(Default::default());
    let mut loader_text = String::new();
    if split {
        loader_text = read_text(&loader)?;
        for (stem, hashed) in &chunk_names {
            loader_text =
                replace_all(&loader_text, &format!("\"./{stem}.wasm\""), &format!("\"./{hashed}.wasm\""), LOADER)?;
        }
        let raw: BTreeMap<String, Vec<String>> = serde_json::from_str(&read_text(&dir.join(MANIFEST))?)?;
        let renamed: BTreeMap<String, Vec<String>> = raw
            .into_iter()
            .map(|(point, stems)| {
                let stems = stems.into_iter().map(|s| chunk_names.get(&s).cloned().unwrap_or(s)).collect();
                (point, stems)
            })
            .collect();
        manifest = serde_json::to_value(renamed)?;
        fs::remove_file(dir.join(MANIFEST))?;
    }

    let wasm_name = format!("{MAIN}.{}.wasm", hash(&[&fs::read(&main_wasm)?]));
    fs::rename(&main_wasm, dir.join(&wasm_name))?;
    let css_name = format!("{MAIN}.{}.css", hash(&[&fs::read(&css)?]));
    fs::rename(&css, dir.join(&css_name))?;

    // The glue and the loader import each other, so they share one name taken from both.
    let js_text = read_text(&main_js)?;
    let pair = hash(&[js_text.as_bytes(), loader_text.as_bytes()]);
    let js_name = format!("{MAIN}.{pair}.js");
    let loader_name = format!("__wasm_split.{pair}.js");
    if split {
        // Only the module imports change: the wasm's import object keeps the module name the
        // WASM itself was linked against.
        let js_text = replace_all(
            &js_text,
            &format!("from \"./{LOADER}\""),
            &format!("from \"./{loader_name}\""),
            "the JS glue",
        )?;
        fs::write(dir.join(&js_name), js_text)?;
        let loader_text =
            replace_all(&loader_text, &format!("from \"./{MAIN}.js\""), &format!("from \"./{js_name}\""), LOADER)?;
        fs::write(dir.join(&loader_name), loader_text)?;
        fs::remove_file(&loader)?;
    } else {
        fs::write(dir.join(&js_name), js_text)?;
    }
    fs::remove_file(&main_js)?;

    let assets = json!({
        "js": js_name,
        "wasm": wasm_name,
        "css": css_name,
        "split_js": split.then_some(loader_name),
        "split_manifest": manifest,
    });
    fs::write(dir.join("assets.json"), serde_json::to_string_pretty(&assets)?)?;

    let mut compressed = 0;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if matches!(ext, "js" | "wasm" | "css") {
            precompress(&path)?;
            compressed += 1;
        }
    }
    println!("named {} files by content and precompressed {compressed}", chunk_names.len() + 3);
    Ok(())
}

/// Writes `FILE.br` (Brotli, best) and `FILE.gz` (gzip, best) beside `path`.
fn precompress(path: &Path) -> Result<()> {
    let data = fs::read(path)?;
    let with_ext = |ext: &str| -> PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
        w.write_all(&data)?;
    }
    fs::write(with_ext(".br"), br)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&data)?;
    fs::write(with_ext(".gz"), gz.finish()?)?;
    Ok(())
}
