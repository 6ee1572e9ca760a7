//! The code editor: CodeMirror 6 (bundled into `/editor.js` at build time),
//! loaded the first time a view needs it so the landing page stays light.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

const EDITOR_URL: &str = "/editor.js";

#[derive(Properties, PartialEq)]
pub struct CodeEditorProps {
    /// The text the editor starts with, and takes again when this changes.
    pub text: String,
    pub on_change: Callback<String>,
    /// The source line a fault points at, marked in red.
    #[prop_or_default]
    pub fault_line: Option<u32>,
}

#[function_component(CodeEditor)]
pub fn code_editor(props: &CodeEditorProps) -> Html {
    let host = use_node_ref();
    let editor = use_mut_ref(|| None::<JsValue>);
    let failed = use_state(|| None::<String>);
    // The latest callback, for the editor's listener made once at mount.
    let on_change = use_mut_ref(|| props.on_change.clone());
    *on_change.borrow_mut() = props.on_change.clone();
    // What the editor should show once its script has loaded; the effects
    // below cannot reach it before then.
    let wanted = use_mut_ref(|| (props.text.clone(), props.fault_line));
    *wanted.borrow_mut() = (props.text.clone(), props.fault_line);

    {
        let (host, editor, failed, on_change, wanted) = (
            host.clone(),
            editor.clone(),
            failed.clone(),
            on_change.clone(),
            wanted.clone(),
        );
        use_effect_with((), move |_| {
            let mounted = editor.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let text = wanted.borrow().0.clone();
                match mount(&host, &text, on_change).await {
                    Ok(handle) => {
                        let (text, line) = wanted.borrow().clone();
                        call_logged(&handle, "setText", &[text.into()]);
                        let line = line.map_or(JsValue::NULL, JsValue::from);
                        call_logged(&handle, "markFaultLine", &[line]);
                        *mounted.borrow_mut() = Some(handle);
                    }
                    Err(error) => failed.set(Some(format!(
                        "the code editor could not load: {}",
                        error.as_string().unwrap_or_else(|| format!("{error:?}"))
                    ))),
                }
            });
            move || {
                if let Some(handle) = editor.borrow_mut().take() {
                    call_logged(&handle, "destroy", &[]);
                }
            }
        });
    }
    {
        let editor = editor.clone();
        use_effect_with(props.text.clone(), move |text| {
            if let Some(handle) = &*editor.borrow() {
                let current = call_logged(handle, "text", &[]).and_then(|t| t.as_string());
                if current.as_deref() != Some(text.as_str()) {
                    call_logged(handle, "setText", &[text.into()]);
                }
            }
        });
    }
    {
        let editor = editor.clone();
        use_effect_with(props.fault_line, move |line| {
            if let Some(handle) = &*editor.borrow() {
                let line = line.map_or(JsValue::NULL, JsValue::from);
                call_logged(handle, "markFaultLine", &[line]);
            }
        });
    }

    html! {
        <div class="code-editor">
            <div ref={host} class="code-editor-host" data-testid="code-editor"></div>
            if let Some(message) = &*failed {
                <p class="error-banner" role="alert">{ message }</p>
            }
        </div>
    }
}

async fn mount(
    host: &NodeRef,
    text: &str,
    on_change: Rc<RefCell<Callback<String>>>,
) -> Result<JsValue, JsValue> {
    let api = load_editor().await?;
    let parent = host
        .get()
        .ok_or_else(|| JsValue::from_str("the editor's element is gone"))?;
    let listener = Closure::<dyn Fn(String)>::new(move |text: String| {
        on_change.borrow().emit(text);
    });
    let create: Function = Reflect::get(&api, &"create".into())?.dyn_into()?;
    let handle = create.call3(&api, &parent, &text.into(), listener.as_ref())?;
    // The editor lives as long as its element; the listener with it.
    listener.forget();
    Ok(handle)
}

/// `window.SandboxEditor`, loading its script once.
async fn load_editor() -> Result<JsValue, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let existing = Reflect::get(&window, &"SandboxEditor".into())?;
    if !existing.is_undefined() {
        return Ok(existing);
    }
    let document = window.document().ok_or("no document")?;
    let loaded = Promise::new(&mut |resolve, reject| {
        let fail = |reason: JsValue| {
            // `reject` is this promise's own reject function, which does not
            // throw; its result is always `undefined`, so there is nothing
            // to handle.
            let _ = reject.call1(&JsValue::UNDEFINED, &reason);
        };
        let script = document.create_element("script").and_then(|s| {
            s.dyn_into::<web_sys::HtmlScriptElement>()
                .map_err(Into::into)
        });
        let Ok(script) = script else {
            fail("could not make a script element".into());
            return;
        };
        script.set_src(EDITOR_URL);
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
        // Unless the script is on the page, neither handler ever runs and
        // the wait below would never end: say why instead.
        let added = match document.head() {
            Some(head) => head.append_child(&script).map(drop),
            None => Err("the page has no <head> for the editor's script".into()),
        };
        if let Err(error) = added {
            fail(error);
        }
    });
    JsFuture::from(loaded).await?;
    Reflect::get(&window, &"SandboxEditor".into())
}

/// Calls `method` on the editor, logging a failure (naming the method) to the
/// console: these calls only fail if the bundled editor is broken, and the
/// view has nothing better to show for it.
fn call_logged(handle: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    match call(handle, method, args) {
        Ok(value) => Some(value),
        Err(error) => {
            web_sys::console::error_2(
                &format!("code editor: calling {method}() on the editor failed").into(),
                &error,
            );
            None
        }
    }
}

fn call(handle: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = Reflect::get(handle, &method.into())?.dyn_into()?;
    let args: js_sys::Array = args.iter().collect();
    function.apply(handle, &args)
}
