//! Hash routes, so every view has an address that survives a reload.

use js_sys::{decode_uri_component, encode_uri_component};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Streams,
    Stream(String),
    Event {
        stream: String,
        version: u64,
    },
    /// The events whose metadata carries this `$correlationId`.
    Correlation(String),
    /// The causal chain of the event at `version@stream`: its
    /// correlation's events and the causation graph.
    Chain {
        stream: String,
        version: u64,
    },
    All,
    Append,
    Projections,
    NewProjection,
    Query,
    Projection(String),
    TimeTravel,
    /// The scenario gallery.
    Scenarios,
    Transfer,
    Help,
    Sandboxes,
}

impl Route {
    pub fn parse(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["all"] => Route::All,
            ["append"] => Route::Append,
            ["projections"] => Route::Projections,
            ["new-projection"] => Route::NewProjection,
            ["query"] => Route::Query,
            ["projections", name] => Route::Projection(decode(name)),
            ["time-travel"] => Route::TimeTravel,
            ["transfer"] => Route::Transfer,
            ["help"] => Route::Help,
            ["sandboxes"] => Route::Sandboxes,
            ["scenarios"] => Route::Scenarios,
            ["correlation", id] => Route::Correlation(decode(id)),
            ["chain", stream, version] => match version.parse() {
                Ok(version) => Route::Chain {
                    stream: decode(stream),
                    version,
                },
                Err(_) => Route::Stream(decode(stream)),
            },
            ["streams", stream] => Route::Stream(decode(stream)),
            ["streams", stream, version] => match version.parse() {
                Ok(version) => Route::Event {
                    stream: decode(stream),
                    version,
                },
                Err(_) => Route::Stream(decode(stream)),
            },
            _ => Route::Streams,
        }
    }

    pub fn href(&self) -> String {
        match self {
            Route::Streams => "#/".into(),
            Route::Stream(stream) => format!("#/streams/{}", encode(stream)),
            Route::Event { stream, version } => format!("#/streams/{}/{version}", encode(stream)),
            Route::Correlation(id) => format!("#/correlation/{}", encode(id)),
            Route::Chain { stream, version } => format!("#/chain/{}/{version}", encode(stream)),
            Route::All => "#/all".into(),
            Route::Append => "#/append".into(),
            Route::Projections => "#/projections".into(),
            Route::NewProjection => "#/new-projection".into(),
            Route::Query => "#/query".into(),
            Route::Projection(name) => format!("#/projections/{}", encode(name)),
            Route::TimeTravel => "#/time-travel".into(),
            Route::Transfer => "#/transfer".into(),
            Route::Help => "#/help".into(),
            Route::Sandboxes => "#/sandboxes".into(),
            Route::Scenarios => "#/scenarios".into(),
        }
    }

    /// The page's title for this view, so tabs, history and screen
    /// readers tell views apart.
    pub fn title(&self) -> String {
        let view = match self {
            Route::Streams => "Streams".to_string(),
            Route::Stream(stream) => format!("{stream} (stream)"),
            Route::Event { stream, version } => format!("{version}@{stream} (event)"),
            Route::Correlation(id) => format!("Correlation {id}"),
            Route::Chain { stream, version } => format!("Causal chain of {version}@{stream}"),
            Route::All => "All events".to_string(),
            Route::Append => "Append an event".to_string(),
            Route::Projections => "Projections".to_string(),
            Route::NewProjection => "New projection".to_string(),
            Route::Query => "Query".to_string(),
            Route::Projection(name) => format!("{name} (projection)"),
            Route::TimeTravel => "Time travel".to_string(),
            Route::Transfer => "Import / export".to_string(),
            Route::Help => "Help".to_string(),
            Route::Sandboxes => "Sandboxes".to_string(),
            Route::Scenarios => "Scenarios".to_string(),
        };
        format!("{view} · es-sandbox")
    }

    pub fn current() -> Route {
        let hash = web_sys::window()
            .and_then(|window| window.location().hash().ok())
            .unwrap_or_default();
        Route::parse(&hash)
    }

    pub fn go(&self) {
        if let Some(window) = web_sys::window() {
            let href = self.href();
            if let Err(error) = window.location().set_hash(&href) {
                web_sys::console::error_2(&format!("could not go to {href}").into(), &error);
            }
        }
    }
}

fn encode(text: &str) -> String {
    encode_uri_component(text).into()
}

fn decode(text: &str) -> String {
    decode_uri_component(text)
        .map(String::from)
        .unwrap_or_else(|_| text.to_string())
}
