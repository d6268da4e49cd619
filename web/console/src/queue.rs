//! The queue: tabs by state with counts, filters and search, the running deadline on every
//! row, pages, batch approval; it refreshes itself without losing the staff member's place.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use refund_api::{BatchItem, Permission, QueueCounts, QueueTab, StaffView};
use refund_core::messages::{format_money, kind_label, reason_label, state_label};
use refund_core::{Reason, RequestKind};

use crate::app::{Env, Problem, run};
use crate::model::{
    Assignee, Filters, Request, Route, Urgency, format_left, seconds_left, urgency,
};
use crate::texts::tab_label;

/// How often the queue reads itself again.
const REFRESH_MS: u32 = 20_000;
const PAGE: u32 = 50;

/// The staff member's time zone, for the date filters.
fn offset_minutes() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[component]
pub fn Queue() -> impl IntoView {
    let env = expect_context::<Env>();
    let filters = RwSignal::new(Filters::default());
    let rows = RwSignal::new(Vec::<Request>::new());
    let cursor = RwSignal::new(None::<String>);
    let counts = RwSignal::new(QueueCounts::default());
    let staff = RwSignal::new(Vec::<StaffView>::new());
    let loaded_at = RwSignal::new(now_ms());
    let now = RwSignal::new(now_ms());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let results = RwSignal::new(Vec::<BatchItem>::new());
    let search = RwSignal::new(String::new());

    // Reads the first `limit` requests (and the counts) again: a refresh keeps as many rows as
    // the staff member has loaded, so their place in the list stays.
    let load = move |limit: u32| {
        let f = filters.get_untracked();
        let query = f.list_query(None, limit.clamp(1, 200), offset_minutes());
        let counts_query = f.counts_query(offset_minutes());
        run(
            env,
            busy,
            error,
            async move {
                let page = env.api.requests(&query).await?;
                let tally = env.api.counts(&counts_query).await?;
                Ok((page, tally))
            },
            move |(page, tally)| {
                rows.set(page.requests);
                cursor.set(page.next_cursor);
                counts.set(tally);
                loaded_at.set(now_ms());
            },
        );
    };
    let more = move |_| {
        let Some(after) = cursor.get_untracked() else {
            return;
        };
        let query = filters
            .get_untracked()
            .list_query(Some(&after), PAGE, offset_minutes());
        run(
            env,
            busy,
            error,
            async move { env.api.requests(&query).await },
            move |page| {
                rows.update(|r| r.extend(page.requests));
                cursor.set(page.next_cursor);
            },
        );
    };
    Effect::new(move |_| {
        filters.track();
        selected.set(BTreeSet::new());
        load(PAGE);
    });
    spawn_local(async move {
        if let Ok(list) = env.api.staff().await {
            staff.set(list);
        }
    });
    let refresh = set_interval_with_handle(
        move || {
            if !busy.get_untracked() {
                let loaded = rows.with_untracked(Vec::len) as u32;
                load(loaded.max(PAGE));
            }
        },
        std::time::Duration::from_millis(u64::from(REFRESH_MS)),
    )
    .ok();
    let tick =
        set_interval_with_handle(move || now.set(now_ms()), std::time::Duration::from_secs(1)).ok();
    on_cleanup(move || {
        if let Some(handle) = refresh {
            handle.clear();
        }
        if let Some(handle) = tick {
            handle.clear();
        }
    });
    let elapsed = move || ((now.get() - loaded_at.get()) / 1000.0).floor() as i64;

    let batch = move |_| {
        let ids: Vec<String> = selected.get_untracked().into_iter().collect();
        if ids.is_empty() {
            return;
        }
        run(
            env,
            busy,
            error,
            async move { env.api.approve_batch(ids).await },
            move |result| {
                results.set(result.results);
                selected.set(BTreeSet::new());
                load(PAGE);
            },
        );
    };
    let can_batch =
        move || env.may(Permission::Work) && filters.with(|f| f.tab == QueueTab::NeedsDecision);

    view! {
        <section class="rd-queue" aria-labelledby="rd-queue-title">
            <h1 id="rd-queue-title" class="rd-visually-hidden">{move || env.t().queue}</h1>
            <div class="rd-tabs" role="tablist">
                {QueueTab::ALL.into_iter().map(|tab| view! {
                    <button type="button" role="tab" class="rd-tab"
                        aria-selected=move || (filters.with(|f| f.tab) == tab).to_string()
                        on:click=move |_| filters.update(|f| { f.tab = tab; f.search.clear(); })>
                        {move || tab_label(tab, env.lang.get())}
                        <span class="rd-count">{move || counts.with(|c| c.get(tab))}</span>
                    </button>
                }).collect_view()}
            </div>
            <form class="rd-filters" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                filters.update(|f| f.search = search.get_untracked());
            }>
                <label class="rd-search">
                    <span class="rd-visually-hidden">{move || env.t().search}</span>
                    <input type="search" name="q" placeholder=move || env.t().search_hint
                        prop:value=search on:input=move |ev| search.set(event_target_value(&ev)) />
                </label>
                <button type="submit">{move || env.t().search}</button>
                <select aria-label=move || env.t().col_reason on:change=move |ev| {
                    let code = event_target_value(&ev);
                    filters.update(|f| f.reason = Reason::ALL.into_iter().find(|r| r.code() == code));
                }>
                    <option value="">{move || env.t().any_reason}</option>
                    {Reason::ALL.into_iter().map(|r| view! {
                        <option value=r.code()>{move || reason_label(r, env.lang.get())}</option>
                    }).collect_view()}
                </select>
                <select aria-label=move || env.t().col_kind on:change=move |ev| {
                    let code = event_target_value(&ev);
                    filters.update(|f| f.kind = RequestKind::ALL.into_iter().find(|k| k.code() == code));
                }>
                    <option value="">{move || env.t().any_kind}</option>
                    {RequestKind::ALL.into_iter().map(|k| view! {
                        <option value=k.code()>{move || kind_label(k, env.lang.get())}</option>
                    }).collect_view()}
                </select>
                <select aria-label=move || env.t().col_assignee on:change=move |ev| {
                    let value = event_target_value(&ev);
                    filters.update(|f| f.assignee = match value.as_str() {
                        "" => Assignee::Anyone,
                        "me" => Assignee::Mine,
                        "none" => Assignee::Nobody,
                        id => Assignee::Staff(id.to_owned()),
                    });
                }>
                    <option value="">{move || env.t().anyone}</option>
                    <option value="me">{move || env.t().mine}</option>
                    <option value="none">{move || env.t().nobody}</option>
                    {move || staff.get().into_iter().filter(|s| s.active).map(|s| view! {
                        <option value=s.id.clone()>{s.name.clone()}</option>
                    }).collect_view()}
                </select>
                <input type="text" inputmode="decimal" class="rd-amount" aria-label=move || env.t().min_total
                    placeholder=move || env.t().min_total
                    on:change=move |ev| filters.update(|f| f.min_total = event_target_value(&ev)) />
                <input type="text" inputmode="decimal" class="rd-amount" aria-label=move || env.t().max_total
                    placeholder=move || env.t().max_total
                    on:change=move |ev| filters.update(|f| f.max_total = event_target_value(&ev)) />
                <label>{move || env.t().from}
                    <input type="date" on:change=move |ev| filters.update(|f| f.from = event_target_value(&ev)) />
                </label>
                <label>{move || env.t().to}
                    <input type="date" on:change=move |ev| filters.update(|f| f.to = event_target_value(&ev)) />
                </label>
            </form>
            <Problem error />
            <Show when=move || results.with(|r| !r.is_empty())>
                <ul class="rd-results" role="status">
                    {move || results.get().into_iter().map(|item| {
                        let text = match &item.error {
                            None => env.t().approved_ok.to_owned(),
                            Some(e) => e.message.clone(),
                        };
                        view! { <li class:rd-failed=item.error.is_some()>{item.id.clone()}": "{text}</li> }
                    }).collect_view()}
                </ul>
            </Show>
            <Show when=can_batch>
                <button type="button" class="rd-primary rd-batch"
                    disabled=move || busy.get() || selected.with(BTreeSet::is_empty) on:click=batch>
                    {move || format!("{} ({})", env.t().batch_approve, selected.with(BTreeSet::len))}
                </button>
            </Show>
            <table class="rd-table">
                <thead>
                    <tr>
                        <Show when=can_batch><th scope="col"><span class="rd-visually-hidden">{move || env.t().select}</span></th></Show>
                        <th scope="col">{move || env.t().col_number}</th>
                        <th scope="col">{move || env.t().col_order}</th>
                        <th scope="col">{move || env.t().col_shopper}</th>
                        <th scope="col">{move || env.t().col_kind}</th>
                        <th scope="col">{move || env.t().col_reason}</th>
                        <th scope="col" class="rd-num">{move || env.t().col_amount}</th>
                        <th scope="col">{move || env.t().col_assignee}</th>
                        <th scope="col">{move || env.t().col_state}</th>
                        <th scope="col">{move || env.t().col_time_left}</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|r| (r.id.clone(), r.state, r.unread, r.desk.as_ref().and_then(|d| d.assignee.clone()).map(|a| a.id)) let:request>
                        <Row request selected can_batch elapsed />
                    </For>
                </tbody>
            </table>
            <Show when=move || rows.with(Vec::is_empty) && !busy.get()>
                <p class="rd-empty">{move || env.t().no_requests}</p>
            </Show>
            <Show when=move || cursor.with(Option::is_some)>
                <button type="button" on:click=more disabled=busy>{move || env.t().load_more}</button>
            </Show>
        </section>
    }
}

#[component]
fn Row(
    request: Request,
    selected: RwSignal<BTreeSet<String>>,
    can_batch: impl Fn() -> bool + Send + Sync + Copy + 'static,
    elapsed: impl Fn() -> i64 + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let env = expect_context::<Env>();
    let id = StoredValue::new(request.id.clone());
    let open = move |_| env.go(Route::Request(id.get_value()));
    let deadline = request.deadline.clone();
    let desk = request.desk.clone();
    let currency = request.quote.currency;
    let total = request.quote.total.0;
    let (kind, reason, state) = (request.kind, request.reason, request.state);
    let unread = request.unread;
    let time_left = move || {
        deadline.as_ref().map(|d| {
            let left = seconds_left(d, elapsed());
            let (class, note) = match urgency(d, elapsed()) {
                Urgency::Overdue => ("rd-overdue", env.t().overdue),
                Urgency::Soon => ("rd-soon", env.t().soon),
                Urgency::Calm => ("", ""),
            };
            let text = if left == 0 {
                note.to_owned()
            } else if note.is_empty() {
                format_left(left, env.lang.get())
            } else {
                format!("{} · {note}", format_left(left, env.lang.get()))
            };
            view! { <span class=class>{text}</span> }
        })
    };
    let waiting = state == refund_core::State::Submitted;
    view! {
        <tr class="rd-row" on:dblclick=open>
            <Show when=can_batch>
                <td>
                    <input type="checkbox" disabled=!waiting aria-label=move || format!("{} {}", env.t().select, id.get_value())
                        prop:checked=move || selected.with(|s| s.contains(&id.get_value()))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            selected.update(|s| { if on { s.insert(id.get_value()); } else { s.remove(&id.get_value()); } });
                        } />
                </td>
            </Show>
            <td>
                <a href=Route::Request(request.id.clone()).hash()>{request.number.clone()}</a>
                {(unread > 0).then(|| view! { <span class="rd-badge">{unread}" "{move || env.t().unread}</span> })}
            </td>
            <td>{request.order_number.clone()}</td>
            <td>{desk.as_ref().map(|d| d.customer_email.clone())}</td>
            <td>{move || kind_label(kind, env.lang.get())}</td>
            <td>{move || reason_label(reason, env.lang.get())}</td>
            <td class="rd-num">{move || format_money(total, currency, env.lang.get())}</td>
            <td>{move || desk.as_ref().and_then(|d| d.assignee.as_ref()).map(|a| a.name.clone()).unwrap_or_else(|| env.t().unassigned.to_owned())}</td>
            <td>{move || state_label(state, env.lang.get())}</td>
            <td>{time_left}</td>
        </tr>
    }
}
