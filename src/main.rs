//! The app's entry point; everything lives in the library.

fn main() {
    #[cfg(target_arch = "wasm32")]
    es_sandbox::ui::start();
}
