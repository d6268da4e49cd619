//! The desk's settings: staff and their roles, reply templates, return addresses, automatic
//! assignment. Owners change them; everyone else sees them. Webhooks are the owner's alone:
//! nobody else sees that section.

use leptos::prelude::*;
use leptos::task::spawn_local;
use refund_api::{
    AddressBody, Bilingual, DeskSettings, NewStaff, Permission, ReplyTemplate, ReturnAddress, Role,
    SetUpLink, StaffChange, StaffView, TemplateBody,
};

use crate::app::{Env, Problem, run};
use crate::texts::{role_label, texts};
use crate::webhooks::Webhooks;

#[component]
pub fn Settings() -> impl IntoView {
    let env = expect_context::<Env>();
    let owner = move || env.may(Permission::Manage);
    view! {
        <h1>{move || env.t().settings}</h1>
        <Show when=move || !owner()>
            <p class="rd-note">{move || env.t().read_only}</p>
        </Show>
        <AutoAssign />
        <Staff />
        <Templates />
        <Addresses />
        <Show when=owner>
            <Webhooks />
        </Show>
    }
}

#[component]
fn AutoAssign() -> impl IntoView {
    let env = expect_context::<Env>();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let on = move || {
        env.me
            .with(|m| m.as_ref().is_some_and(|m| m.merchant.auto_assign))
    };
    let change = move |ev: leptos::ev::Event| {
        let auto_assign = event_target_checked(&ev);
        run(
            env,
            busy,
            error,
            async move { env.api.set_settings(&DeskSettings { auto_assign }).await },
            move |settings| {
                env.me.update(|m| {
                    if let Some(m) = m {
                        m.merchant.auto_assign = settings.auto_assign;
                    }
                })
            },
        );
    };
    view! {
        <section class="rd-card">
            <label class="rd-check">
                <input type="checkbox" prop:checked=on disabled=move || !env.may(Permission::Manage) on:change=change />
                {move || env.t().auto_assign}
            </label>
            <Problem error />
        </section>
    }
}

#[component]
fn Staff() -> impl IntoView {
    let env = expect_context::<Env>();
    let staff = RwSignal::new(Vec::<StaffView>::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let link = RwSignal::new(None::<SetUpLink>);
    let (email, name, role) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(Role::Agent),
    );
    let load = move || {
        run(
            env,
            busy,
            error,
            async move { env.api.staff().await },
            move |list| staff.set(list),
        );
    };
    load();
    let invite = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewStaff {
            email: email.get_untracked(),
            name: name.get_untracked(),
            role: role.get_untracked(),
        };
        run(
            env,
            busy,
            error,
            async move { env.api.invite(&new).await },
            move |l| {
                link.set(Some(l));
                email.set(String::new());
                name.set(String::new());
                load();
            },
        );
    };
    let change = move |id: String, change: StaffChange| {
        run(
            env,
            busy,
            error,
            async move { env.api.change_staff(&id, &change).await },
            move |_| load(),
        );
    };
    let new_link = move |id: String| {
        run(
            env,
            busy,
            error,
            async move { env.api.new_set_up_link(&id).await },
            move |l| link.set(Some(l)),
        );
    };
    view! {
        <section class="rd-card">
            <h2>{move || env.t().staff}</h2>
            <table class="rd-table">
                <thead><tr>
                    <th scope="col">{move || env.t().name}</th>
                    <th scope="col">{move || env.t().email}</th>
                    <th scope="col">{move || env.t().role}</th>
                    <th scope="col">{move || env.t().active}</th>
                    <th scope="col"></th>
                </tr></thead>
                <tbody>
                    {move || staff.get().into_iter().map(|s| {
                        let lang = env.lang.get();
                        let t = texts(lang);
                        let manage = env.may(Permission::Manage);
                        let (id, id2, id3) = (s.id.clone(), s.id.clone(), s.id.clone());
                        view! {
                            <tr>
                                <td>{s.name.clone()}{(!s.set_up).then(|| format!(" ({})", t.not_set_up))}</td>
                                <td>{s.email.clone()}</td>
                                <td>
                                    <select disabled=!manage aria-label=t.role on:change=move |ev| {
                                        let value = event_target_value(&ev);
                                        if let Some(role) = Role::ALL.into_iter().find(|r| r.code() == value) {
                                            change(id.clone(), StaffChange { role: Some(role), ..StaffChange::default() });
                                        }
                                    }>
                                        {Role::ALL.into_iter().map(|r| view! {
                                            <option value=r.code() selected=r == s.role>{role_label(r, lang)}</option>
                                        }).collect_view()}
                                    </select>
                                </td>
                                <td>{if s.active { "✓" } else { "—" }}</td>
                                <td>
                                    <Show when=move || manage>
                                        <button type="button" on:click={
                                            let id = id2.clone();
                                            move |_| change(id.clone(), StaffChange { active: Some(!s.active), ..StaffChange::default() })
                                        }>{if s.active { t.deactivate } else { t.activate }}</button>
                                        <button type="button" on:click={
                                            let id = id3.clone();
                                            move |_| new_link(id.clone())
                                        }>{t.new_link}</button>
                                    </Show>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || link.get().map(|l| view! {
                <p class="rd-note" role="status">{texts(env.lang.get()).link_once}" "<code class="rd-link-out">{l.url}</code></p>
            })}
            <Show when=move || env.may(Permission::Manage)>
                <form class="rd-inline" on:submit=invite>
                    <input type="email" required placeholder=move || env.t().email aria-label=move || env.t().email
                        prop:value=email on:input=move |ev| email.set(event_target_value(&ev)) />
                    <input type="text" required placeholder=move || env.t().name aria-label=move || env.t().name
                        prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                    <select aria-label=move || env.t().role on:change=move |ev| {
                        let value = event_target_value(&ev);
                        if let Some(r) = Role::ALL.into_iter().find(|r| r.code() == value) { role.set(r); }
                    }>
                        {Role::ALL.into_iter().map(|r| view! {
                            <option value=r.code() selected=r == Role::Agent>{move || role_label(r, env.lang.get())}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="rd-primary" disabled=busy>{move || env.t().invite}</button>
                </form>
            </Show>
            <Problem error />
        </section>
    }
}

#[component]
fn Templates() -> impl IntoView {
    let env = expect_context::<Env>();
    let list = RwSignal::new(Vec::<ReplyTemplate>::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let editing = RwSignal::new(None::<String>);
    let (title, zh, en) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let load = move || {
        run(
            env,
            busy,
            error,
            async move { env.api.templates().await },
            move |l| list.set(l),
        )
    };
    load();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = TemplateBody {
            title: title.get_untracked(),
            text: Bilingual {
                zh_cn: zh.get_untracked(),
                en: en.get_untracked(),
            },
        };
        let id = editing.get_untracked();
        run(
            env,
            busy,
            error,
            async move { env.api.save_template(id.as_deref(), &body).await },
            move |_| {
                editing.set(None);
                title.set(String::new());
                zh.set(String::new());
                en.set(String::new());
                load();
            },
        );
    };
    let remove = move |id: String| {
        run(
            env,
            busy,
            error,
            async move { env.api.delete_template(&id).await },
            move |()| load(),
        );
    };
    view! {
        <section class="rd-card">
            <h2>{move || env.t().templates}</h2>
            <ul>
                {move || list.get().into_iter().map(|tpl| {
                    let t = texts(env.lang.get());
                    let (id, id2) = (tpl.id.clone(), tpl.id.clone());
                    let edit = tpl.clone();
                    view! {
                        <li>
                            <strong>{tpl.title.clone()}</strong>": "{tpl.text.zh_cn.clone()}" / "{tpl.text.en.clone()}
                            <Show when=move || env.may(Permission::Manage)>
                                <button type="button" on:click={
                                    let edit = edit.clone();
                                    let id = id.clone();
                                    move |_| {
                                        editing.set(Some(id.clone()));
                                        title.set(edit.title.clone());
                                        zh.set(edit.text.zh_cn.clone());
                                        en.set(edit.text.en.clone());
                                    }
                                }>{t.edit}</button>
                                <button type="button" on:click={ let id = id2.clone(); move |_| remove(id.clone()) }>{t.delete}</button>
                            </Show>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Show when=move || env.may(Permission::Manage)>
                <form class="rd-stack" on:submit=save>
                    <input type="text" required maxlength="100" placeholder=move || env.t().title aria-label=move || env.t().title
                        prop:value=title on:input=move |ev| title.set(event_target_value(&ev)) />
                    <textarea required maxlength="500" placeholder=move || env.t().text_zh aria-label=move || env.t().text_zh
                        prop:value=zh on:input=move |ev| zh.set(event_target_value(&ev))></textarea>
                    <textarea required maxlength="500" placeholder=move || env.t().text_en aria-label=move || env.t().text_en
                        prop:value=en on:input=move |ev| en.set(event_target_value(&ev))></textarea>
                    <button type="submit" class="rd-primary" disabled=busy>
                        {move || if editing.get().is_some() { env.t().save } else { env.t().add }}
                    </button>
                </form>
            </Show>
            <Problem error />
        </section>
    }
}

#[component]
fn Addresses() -> impl IntoView {
    let env = expect_context::<Env>();
    let list = RwSignal::new(Vec::<ReturnAddress>::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let editing = RwSignal::new(None::<String>);
    let fields = [(); 4].map(|()| RwSignal::new(String::new()));
    let [label, recipient, phone, address] = fields;
    let load = move || {
        run(
            env,
            busy,
            error,
            async move { env.api.addresses().await },
            move |l| list.set(l),
        )
    };
    load();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = AddressBody {
            label: label.get_untracked(),
            recipient: recipient.get_untracked(),
            phone: phone.get_untracked(),
            address: address.get_untracked(),
        };
        let id = editing.get_untracked();
        run(
            env,
            busy,
            error,
            async move { env.api.save_address(id.as_deref(), &body).await },
            move |_| {
                editing.set(None);
                for field in fields {
                    field.set(String::new());
                }
                load();
            },
        );
    };
    let remove = move |id: String| {
        spawn_local(async move {
            match env.api.delete_address(&id).await {
                Ok(()) => load(),
                Err(e) => error.set(Some(env.error_text(&e))),
            }
        });
    };
    view! {
        <section class="rd-card">
            <h2>{move || env.t().addresses}</h2>
            <ul>
                {move || list.get().into_iter().map(|a| {
                    let t = texts(env.lang.get());
                    let (id, id2) = (a.id.clone(), a.id.clone());
                    let edit = a.clone();
                    view! {
                        <li>
                            <strong>{a.label.clone()}</strong>": "{a.recipient.clone()}" "{a.phone.clone()}" "{a.address.clone()}
                            <Show when=move || env.may(Permission::Manage)>
                                <button type="button" on:click={
                                    let edit = edit.clone();
                                    let id = id.clone();
                                    move |_| {
                                        editing.set(Some(id.clone()));
                                        label.set(edit.label.clone());
                                        recipient.set(edit.recipient.clone());
                                        phone.set(edit.phone.clone());
                                        address.set(edit.address.clone());
                                    }
                                }>{t.edit}</button>
                                <button type="button" on:click={ let id = id2.clone(); move |_| remove(id.clone()) }>{t.delete}</button>
                            </Show>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Show when=move || env.may(Permission::Manage)>
                <form class="rd-stack" on:submit=save>
                    {[(label, 0), (recipient, 1), (phone, 2), (address, 3)].into_iter().map(|(field, i)| {
                        let name = move || {
                            let t = env.t();
                            [t.label, t.recipient, t.phone, t.address][i]
                        };
                        view! {
                            <input type="text" required placeholder=name aria-label=name
                                prop:value=field on:input=move |ev| field.set(event_target_value(&ev)) />
                        }
                    }).collect_view()}
                    <button type="submit" class="rd-primary" disabled=busy>
                        {move || if editing.get().is_some() { env.t().save } else { env.t().add }}
                    </button>
                </form>
            </Show>
            <Problem error />
        </section>
    }
}
