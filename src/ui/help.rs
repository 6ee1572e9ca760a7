//! The Help page: the concepts a learner meets here, in the words
//! KurrentDB's documentation uses, with a way back to the sample.

use yew::prelude::*;

use super::route::Route;

#[function_component(HelpPage)]
pub fn help_page() -> Html {
    html! {
        <section class="help">
            <h1>{ "Help" }</h1>
            <p>
                { "es-sandbox is an event store in your browser. It follows KurrentDB (EventStoreDB), so what you learn here carries over. Nothing leaves this browser; every sandbox is its own IndexedDB database." }
            </p>

            <h2>{ "Events and streams" }</h2>
            <p>
                { "An event is a fact that happened: a type (" }<code>{ "Deposited" }</code>
                { "), data and metadata, both JSON. Events are appended to a stream, such as " }
                <code>{ "account-ada" }</code>
                { ", and never changed. Each event gets a version in its stream, counting from 0, and a position in " }
                <code>{ "$all" }</code>{ ", the log of every event in the order they were written." }
            </p>
            <p>
                { "A stream's category is the text before its first dash: " }
                <code>{ "account-ada" }</code>{ " is in the category " }<code>{ "account" }</code>
                { ". Streams whose names start with " }<code>{ "$" }</code>
                { " are system streams, kept by the store itself." }
            </p>

            <h2>{ "Expected version" }</h2>
            <p>
                { "An append can say what it expects the stream to be: at a given version, not there yet (" }
                <code>{ "no_stream" }</code>{ "), there (" }<code>{ "stream_exists" }</code>
                { "), or anything (" }<code>{ "any" }</code>
                { "). If someone appended first, the append is refused with Wrong expected version, and nothing is written. This is optimistic concurrency: read, decide, then append expecting the version you read." }
            </p>
            <p>
                { "Event ids make appends idempotent: appending the same events with the same ids again, where they already are, changes nothing and returns the first result." }
            </p>

            <h2>{ "Correlation and causation" }</h2>
            <p>
                { "Metadata ties events together. " }<code>{ "$correlationId" }</code>
                { " is shared by every event of one conversation or process; " }
                <code>{ "$causationId" }</code>
                { " names the one event that caused this one. The event view links both." }
            </p>

            <h2>{ "Projections" }</h2>
            <p>
                { "A projection folds events into state with handlers you write in KurrentDB's projection language: choose the events (" }
                <code>{ "fromAll()" }</code>{ ", " }<code>{ "fromCategory('account')" }</code>
                { "), split them if you like (" }<code>{ "foreachStream()" }</code>{ ", " }
                <code>{ "partitionBy(...)" }</code>{ "), and give a handler per event type in " }
                <code>{ "when({ ... })" }</code>
                { ". An event with no handler is skipped silently. Projections run in a separate worker and stay live as you append; a projection that throws stops, faulted, and says at which event and line." }
            </p>

            <h2>{ "Time travel" }</h2>
            <p>
                { "The time bar under the header moves one cursor through " }<code>{ "$all" }</code>
                { ": drag the slider, step back or forward one event, play at a pace, or jump to a time. The stream list, stream pages, All events and the projections then show the sandbox as it was at that position; later events are greyed (or hidden). Rewind goes to position -1, before the first event; the right end of the bar (Live) is now, and stays at the newest event as events are appended. \"Travel here\" on an event goes to the world as of that event. An append while you look at the past still lands at the end of the log, and the bar offers to jump to live." }
            </p>
            <p>
                { "Keys, when you are not typing: ← and → step, Home goes to the start, End goes live, Space plays or pauses. The " }
                <a href={Route::TimeTravel.href()}>{ "Time travel" }</a>
                { " page shows the event at the cursor and each projection's state as of it. From the console: " }
                <code>{ "sandbox.travelTo(5)" }</code>{ ", " }<code>{ "sandbox.cursor()" }</code>
                { ", and the " }<code>{ "at" }</code>{ " / " }<code>{ "to" }</code>{ " options of the reads." }
            </p>

            <h2>{ "Start somewhere" }</h2>
            <p>
                { "The bank account sample has three accounts, a transfer with correlated events, and a few weeks of history. Load it from the " }
                <a href={Route::Streams.href()}>{ "Streams" }</a>
                { " page of an empty sandbox, or open a fresh one with " }
                <code>{ "?sandbox=a-name" }</code>{ " in the address." }
            </p>
        </section>
    }
}
