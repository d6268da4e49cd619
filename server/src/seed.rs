//! The demo merchant and its orders, for trying the product and for end-to-end tests.
//!
//! Seeding is idempotent: the merchant is created once with fixed, public demo keys (never use
//! them for real money), its policy is set once, and each order is pushed only if it is missing,
//! so re-running never disturbs requests already made. Order times are relative to `now`, so the
//! return windows are open whenever the demo is seeded.

use chrono::{DateTime, TimeDelta, Utc};
use refund_core::Order;
use refund_core::wire::{OrderWire, PolicyWire};
use serde_json::{Value, json};

use refund_api::{AddressBody, Bilingual, Role, TemplateBody};

use crate::auth::sha256_hex;
use crate::error::ApiError;
use crate::service::staff::hash_password;
use crate::service::{put_order, put_policy};
use crate::store::{DeskList, Merchant, NewMerchant, StaffRow, Store};

pub const DEMO_NAME: &str = "Demo Store";
pub const DEMO_PUBLISHABLE_KEY: &str = "pk_test_demo";
pub const DEMO_SECRET_KEY: &str = "sk_test_demo_not_for_production";
const DEMO_SIGNING_SECRET: &str = "whsec_demo_not_for_production";

/// The demo merchant, creating it, its policy and its orders where missing.
pub async fn seed_demo(
    store: &dyn Store,
    origins: Vec<String>,
    now: DateTime<Utc>,
) -> Result<Merchant, ApiError> {
    let pictures = origins.first().cloned();
    let merchant = match store.merchant_by_name(DEMO_NAME).await? {
        Some(m) => m,
        None => {
            let merchant = Merchant {
                id: "m_demo".to_owned(),
                name: DEMO_NAME.to_owned(),
                publishable_key: DEMO_PUBLISHABLE_KEY.to_owned(),
                signing_secret: DEMO_SIGNING_SECRET.to_owned(),
                allowed_origins: origins,
            };
            store
                .create_merchant(
                    NewMerchant {
                        merchant: merchant.clone(),
                        secret_key_hash: sha256_hex(DEMO_SECRET_KEY.as_bytes()),
                    },
                    now,
                )
                .await?;
            merchant
        }
    };
    if store.current_policy(&merchant.id).await?.is_none() {
        let policy: PolicyWire =
            serde_json::from_value(demo_policy()).map_err(ApiError::internal)?;
        put_policy(store, &merchant.id, &policy, now).await?;
    }
    for order in demo_orders(now, pictures.as_deref()) {
        let wire: OrderWire = serde_json::from_value(order).map_err(ApiError::internal)?;
        if store.order(&merchant.id, &wire.number).await?.is_none() {
            let wire = Order::new(&wire).map_err(ApiError::internal)?.to_wire();
            put_order(store, &merchant.id, &wire, now).await?;
        }
    }
    seed_desk(store, &merchant.id, now).await?;
    Ok(merchant)
}

/// The demo's staff, all with [`DEMO_STAFF_PASSWORD`]: (e-mail, name, role).
pub const DEMO_STAFF: [(&str, &str, Role); 4] = [
    ("owner@demo.example", "店主 Demo Owner", Role::Owner),
    ("li@demo.example", "客服小李 Li", Role::Agent),
    ("wang@demo.example", "客服小王 Wang", Role::Agent),
    ("viewer@demo.example", "财务 Viewer", Role::Viewer),
];
pub const DEMO_STAFF_PASSWORD: &str = "demo-desk-2026";

/// The demo's staff, a return address and reply templates, where the demo has none.
async fn seed_desk(
    store: &dyn Store,
    merchant_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if store.list_staff(merchant_id).await?.is_empty() {
        let hash = hash_password(DEMO_STAFF_PASSWORD)?;
        let mut tx = store.begin().await?;
        for (i, (email, name, role)) in DEMO_STAFF.into_iter().enumerate() {
            tx.insert_staff(&StaffRow {
                id: format!("st_demo_{i}"),
                merchant_id: merchant_id.to_owned(),
                email: email.to_owned(),
                name: name.to_owned(),
                role,
                active: true,
                password_hash: Some(hash.clone()),
                created_at: now,
            })
            .await?;
        }
        tx.commit().await?;
    }
    if store
        .desk_items(DeskList::Addresses, merchant_id)
        .await?
        .is_empty()
    {
        let address = AddressBody {
            label: "杭州仓 Hangzhou warehouse".to_owned(),
            recipient: "演示商店退货组".to_owned(),
            phone: "0571-88886666".to_owned(),
            address: "浙江省杭州市余杭区文一西路 969 号 3 号仓".to_owned(),
        };
        let json = serde_json::to_string(&address).map_err(ApiError::internal)?;
        store
            .insert_desk_item(DeskList::Addresses, merchant_id, "addr_demo_hz", &json, now)
            .await?;
    }
    if store
        .desk_items(DeskList::Templates, merchant_id)
        .await?
        .is_empty()
    {
        let templates = [
            (
                "tpl_demo_used",
                "已使用 Used",
                "图片显示商品已使用，不符合无理由退货条件。",
                "The photos show the item has been used, so it cannot be returned without a reason.",
            ),
            (
                "tpl_demo_photos",
                "照片不清 Unclear photos",
                "照片无法看清问题，请补充清晰的照片后重新申请。",
                "The photos do not show the problem; please apply again with clear photos.",
            ),
        ];
        for (id, title, zh_cn, en) in templates {
            let body = TemplateBody {
                title: title.to_owned(),
                text: Bilingual {
                    zh_cn: zh_cn.to_owned(),
                    en: en.to_owned(),
                },
            };
            let json = serde_json::to_string(&body).map_err(ApiError::internal)?;
            store
                .insert_desk_item(DeskList::Templates, merchant_id, id, &json, now)
                .await?;
        }
    }
    Ok(())
}

fn demo_policy() -> Value {
    json!({
        "utc_offset": "+08:00",
        "restocking_fee_percent": "0",
        "auto_approve": {
            "reasons": ["not_received", "quality_issue", "damaged_in_transit", "wrong_item",
                        "not_as_described", "size_mismatch", "changed_mind", "ordered_by_mistake"],
            "max_recent_requests": 5
        },
        "amounts": {
            "CNY": {"return_shipping_fee": "8.00", "standard_shipping_fee": "10.00",
                    "free_shipping_threshold": "99.00", "keep_item_threshold": "20.00",
                    "auto_approve_max": "300.00", "review_cap": "2000.00"},
            "JPY": {"return_shipping_fee": "500", "auto_approve_max": "5000"}
        }
    })
}

fn line(id: &str, sku: &str, title: &str, price: &str, quantity: u32, category: &str) -> Value {
    json!({"id": id, "sku": sku, "title": title, "unit_price": price, "quantity": quantity, "category": category})
}

/// The numbers of the demo orders, in the order they are seeded.
pub fn demo_order_numbers() -> [&'static str; 6] {
    [
        "DEMO-1001",
        "DEMO-1002",
        "DEMO-1003",
        "DEMO-1004",
        "DEMO-1005",
        "DEMO-2001",
    ]
}

/// Realistic orders covering every case the product handles. With `pictures` (the server's
/// public address), the T-shirts and the coat show a product picture served by the demo.
pub fn demo_orders(now: DateTime<Utc>, pictures: Option<&str>) -> Vec<Value> {
    let at = |days: i64| (now - TimeDelta::days(days)).to_rfc3339();
    let dressed = |mut line: Value, picture: &str, variants: Value| {
        if let Some(base) = pictures {
            line["image_url"] = json!(format!("{base}/demo/pictures/{picture}.svg"));
        }
        line["exchange_variants"] = variants;
        line
    };
    let delivered = |number: &str, lines: Value, extra: Value| {
        let mut order = json!({
            "number": number, "currency": "CNY", "customer_email": "demo@example.com", "status": "paid",
            "placed_at": at(6), "paid_at": at(6), "shipped_at": at(5), "delivered_at": at(2),
            "lines": lines, "shipping_fee": "0.00", "payments": []
        });
        for (key, value) in extra.as_object().into_iter().flatten() {
            order[key] = value.clone();
        }
        order
    };
    vec![
        // Delivered, with a coupon, paid by Alipay.
        delivered(
            "DEMO-1001",
            json!([
                dressed(
                    line(
                        "L1",
                        "TEE-WHITE-M",
                        "纯棉短袖T恤 白色 M",
                        "79.00",
                        3,
                        "apparel"
                    ),
                    "tee",
                    json!([
                        {"sku": "TEE-WHITE-L", "title": "纯棉短袖T恤 白色 L", "in_stock": true},
                        {"sku": "TEE-WHITE-XL", "title": "纯棉短袖T恤 白色 XL", "in_stock": false},
                        {"sku": "TEE-BLACK-M", "title": "纯棉短袖T恤 黑色 M", "in_stock": true}
                    ])
                ),
                line("L2", "SOCKS-3P", "中筒袜 三双装", "29.90", 1, "apparel")
            ]),
            json!({"discounts": [{"id": "NEW20", "kind": "coupon", "amount": "20.00"}],
                   "shipping_fee": "0.00",
                   "payments": [{"method": "alipay", "amount": "246.90"}]}),
        ),
        // Delivered, 满200减30, paid with Alipay and points.
        delivered(
            "DEMO-1002",
            json!([
                dressed(
                    line(
                        "L1",
                        "COAT-GREY-L",
                        "羊毛大衣 灰色 L",
                        "150.00",
                        1,
                        "apparel"
                    ),
                    "coat",
                    json!([
                        {"sku": "COAT-GREY-M", "title": "羊毛大衣 灰色 M", "in_stock": true},
                        {"sku": "COAT-GREY-XL", "title": "羊毛大衣 灰色 XL", "in_stock": true}
                    ])
                ),
                line("L2", "SCARF-RED", "羊绒围巾 红色", "100.00", 1, "apparel")
            ]),
            json!({"discounts": [{"id": "MJ200-30", "kind": "threshold", "amount": "30.00", "threshold": "200.00"}],
                   "payments": [{"method": "alipay", "amount": "200.00"}, {"method": "points", "amount": "20.00"}]}),
        ),
        // Delivered, with a free gift and a final-sale line.
        delivered(
            "DEMO-1003",
            json!([line("L1", "KETTLE-1L", "电热水壶 1L", "199.00", 1, "home"),
                   {"id": "G1", "sku": "TEA-SAMPLER", "title": "赠品：茶叶试饮装", "unit_price": "0.00",
                    "quantity": 1, "category": "food", "gift": {"of": "L1", "unit_value": "15.00"}},
                   {"id": "L2", "sku": "MUG-CLEARANCE", "title": "清仓马克杯", "unit_price": "19.00",
                    "quantity": 2, "category": "home", "final_sale": true}]),
            json!({"shipping_fee": "10.00", "payments": [{"method": "wechat_pay", "amount": "247.00"}]}),
        ),
        // Shipped, not yet delivered.
        json!({
            "number": "DEMO-1004", "currency": "CNY", "customer_email": "demo@example.com", "status": "paid",
            "placed_at": at(3), "paid_at": at(3), "shipped_at": at(1),
            "lines": [line("L1", "HEADPHONES", "蓝牙耳机", "299.00", 1, "electronics")],
            "shipping_fee": "0.00", "payments": [{"method": "card", "amount": "299.00"}]
        }),
        // Paid, not shipped.
        json!({
            "number": "DEMO-1005", "currency": "CNY", "customer_email": "demo@example.com", "status": "paid",
            "placed_at": at(0), "paid_at": at(0),
            "lines": [line("L1", "BOOK-RUST", "Rust 程序设计", "89.00", 1, "books"),
                      line("L2", "PEN-SET", "中性笔 10 支装", "15.00", 2, "stationery")],
            "shipping_fee": "8.00", "payments": [{"method": "alipay", "amount": "127.00"}]
        }),
        // Delivered, in yen.
        json!({
            "number": "DEMO-2001", "currency": "JPY", "customer_email": "demo@example.com", "status": "paid",
            "placed_at": at(6), "paid_at": at(6), "shipped_at": at(5), "delivered_at": at(2),
            "lines": [line("L1", "MATCHA-100G", "抹茶 100g", "1980", 2, "food"),
                      line("L2", "CHASEN", "茶筅", "3300", 1, "home")],
            "shipping_fee": "500", "payments": [{"method": "card", "amount": "7760"}]
        }),
    ]
}
