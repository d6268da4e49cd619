//! Staff accounts and their sessions: who may sign in to the desk, as what, for how long.
//!
//! Passwords are hashed with Argon2id and never kept or logged otherwise. A session is a
//! random token in a cookie, stored only as its SHA-256, with a CSRF token the desk echoes on
//! every state-changing call; it ends after [`IDLE_TIMEOUT`] without a call, after
//! [`MAX_SESSION`] in any case, on sign-out, and when the account is deactivated. Set-up links
//! (to choose a password) work once, for [`SETUP_LINK_TTL`].

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, TimeDelta, Utc};
use refund_api::{
    ActedBy, MAX_NAME_CHARS, NewStaff, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, Permission, Problem,
    Role, StaffChange,
};

use super::{Service, Stop, retrying};
use crate::auth::{random_key, sha256_hex};
use crate::error::ApiError;
use crate::store::{DeskSessionRow, Merchant, StaffRow, StoreError};

/// A session ends after this long without a call ...
pub const IDLE_TIMEOUT: TimeDelta = TimeDelta::hours(2);
/// ... and this long after sign-in in any case.
pub const MAX_SESSION: TimeDelta = TimeDelta::hours(12);
/// How long a set-up link works.
pub const SETUP_LINK_TTL: TimeDelta = TimeDelta::hours(72);
/// A session's last call is written at most this often.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

/// Who calls the merchant API: a machine with the secret key, or a signed-in staff member.
#[derive(Clone, Debug)]
pub enum Who {
    ApiKey,
    Staff(StaffRow),
}

/// A caller of the merchant API and the merchant it acts for.
#[derive(Clone, Debug)]
pub struct Caller {
    pub merchant: Merchant,
    pub who: Who,
}

impl Caller {
    /// The secret key may do everything; staff what their role allows.
    pub fn may(&self, permission: Permission) -> bool {
        match &self.who {
            Who::ApiKey => true,
            Who::Staff(staff) => staff.role.may(permission),
        }
    }

    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(Problem::Forbidden.into())
        }
    }

    /// How the audit names this caller.
    pub fn acted_by(&self) -> ActedBy {
        match &self.who {
            Who::ApiKey => ActedBy::ApiKey,
            Who::Staff(staff) => ActedBy::Staff {
                id: staff.id.clone(),
                name: staff.name.clone(),
            },
        }
    }

    pub fn staff_id(&self) -> Option<&str> {
        match &self.who {
            Who::ApiKey => None,
            Who::Staff(staff) => Some(&staff.id),
        }
    }
}

/// A session just opened: the cookie's token (shown once) and what it signs in.
pub struct Opened {
    pub token: String,
    pub session: DeskSessionRow,
}

/// A staff member's valid session, as checked on a call.
pub struct Signed {
    pub session: DeskSessionRow,
    pub merchant: Merchant,
}

fn hasher() -> Argon2<'static> {
    Argon2::default()
}

/// An Argon2id hash of `password`, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(ApiError::internal)?;
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(ApiError::internal)?
        .to_string())
}

/// Whether `password` matches `hash`; a hash that cannot be read matches nothing.
fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// What an unknown e-mail's sign-in is checked against, so it takes as long as a known one's.
static DECOY: LazyLock<String> =
    LazyLock::new(|| hash_password("a decoy that matches no password").unwrap_or_default());

pub fn check_password(password: &str) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if (PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(Problem::WeakPassword {
            min: PASSWORD_MIN_CHARS,
            max: PASSWORD_MAX_CHARS,
        }
        .into())
    }
}

/// An e-mail address as stored: trimmed, lower case, one `@` with something on each side.
pub fn normalise_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
        && !email.chars().any(char::is_whitespace);
    if plausible {
        Ok(email)
    } else {
        Err(Problem::InvalidEmail.into())
    }
}

/// A required text of at most `max` characters, trimmed.
pub fn text(field: &'static str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        Err(Problem::TextLength { field, max }.into())
    } else {
        Ok(value.to_owned())
    }
}

/// Where a set-up link opens the desk, on a server reached at `public_url`.
pub fn setup_url(public_url: &str, token: &str) -> String {
    format!(
        "{}/console/#/set-up?token={token}",
        public_url.trim_end_matches('/')
    )
}

fn session_tokens() -> (String, String) {
    (random_key("ds_", 32), random_key("", 32))
}

impl Service {
    /// Opens a session for `email` and `password`; the same refusal whichever is wrong.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Opened, ApiError> {
        let email = email.trim().to_lowercase();
        let staff = self.store.staff_by_email(&email).await?;
        let hash = staff
            .as_ref()
            .filter(|s| s.active)
            .and_then(|s| s.password_hash.clone());
        // Verify against the decoy when there is nothing to verify, so the answer takes as long.
        let matches = password_matches(hash.as_deref().unwrap_or(&DECOY), password);
        let staff = staff
            .filter(|_| matches && hash.is_some())
            .ok_or(Problem::SignInFailed)?;
        self.open_session(staff).await
    }

    async fn open_session(&self, staff: StaffRow) -> Result<Opened, ApiError> {
        let (token, csrf_token) = session_tokens();
        let now = self.now();
        self.store
            .insert_session(&sha256_hex(token.as_bytes()), &staff.id, &csrf_token, now)
            .await?;
        Ok(Opened {
            token,
            session: DeskSessionRow {
                csrf_token,
                created_at: now,
                last_seen_at: now,
                staff,
            },
        })
    }

    /// The session this cookie token opened, if it is still valid; its idle clock restarts.
    pub async fn desk_session(&self, token: &str) -> Result<Signed, ApiError> {
        let hash = sha256_hex(token.as_bytes());
        let session = self
            .store
            .session(&hash)
            .await?
            .ok_or(Problem::DeskSessionEnded)?;
        let now = self.now();
        if now - session.last_seen_at > IDLE_TIMEOUT
            || now - session.created_at > MAX_SESSION
            || !session.staff.active
        {
            self.store.delete_session(&hash).await?;
            return Err(Problem::DeskSessionEnded.into());
        }
        if now - session.last_seen_at > TOUCH_EVERY {
            self.store.touch_session(&hash, now).await?;
        }
        let merchant = self
            .store
            .merchant_by_id(&session.staff.merchant_id)
            .await?
            .ok_or(Problem::DeskSessionEnded)?;
        Ok(Signed { session, merchant })
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), ApiError> {
        Ok(self
            .store
            .delete_session(&sha256_hex(token.as_bytes()))
            .await?)
    }

    /// Forgets sessions that can no longer be used.
    pub async fn forget_stale_sessions(&self) -> Result<u64, ApiError> {
        let now = self.now();
        Ok(self
            .store
            .delete_stale_sessions(now - IDLE_TIMEOUT, now - MAX_SESSION)
            .await?)
    }

    /// Chooses a password with a set-up link, which then no longer works, and signs in.
    pub async fn set_up(&self, token: &str, password: &str) -> Result<Opened, ApiError> {
        check_password(password)?;
        let staff = self
            .store
            .staff_by_setup(&sha256_hex(token.as_bytes()), self.now())
            .await?
            .filter(|s| s.active)
            .ok_or(Problem::SetUpLinkInvalid)?;
        let hash = hash_password(password)?;
        let mut tx = self.store.begin().await?;
        tx.set_password(&staff.id, &hash).await?;
        tx.commit().await?;
        self.open_session(StaffRow {
            password_hash: Some(hash),
            ..staff
        })
        .await
    }

    /// Adds a staff member to a merchant; returns them with their set-up link's token and expiry.
    pub async fn add_staff(
        &self,
        merchant_id: &str,
        new: &NewStaff,
    ) -> Result<(StaffRow, String, DateTime<Utc>), ApiError> {
        let staff = StaffRow {
            id: random_key("st_", 12),
            merchant_id: merchant_id.to_owned(),
            email: normalise_email(&new.email)?,
            name: text("name", &new.name, MAX_NAME_CHARS)?,
            role: new.role,
            active: true,
            password_hash: None,
            created_at: self.now(),
        };
        let (token, expires_at) = (random_key("su_", 24), self.now() + SETUP_LINK_TTL);
        let mut tx = self.store.begin().await?;
        match tx.insert_staff(&staff).await {
            Err(StoreError::Conflict(_)) => return Err(Problem::EmailTaken.into()),
            other => other?,
        }
        tx.set_setup(&staff.id, &sha256_hex(token.as_bytes()), expires_at)
            .await?;
        tx.commit().await?;
        Ok((staff, token, expires_at))
    }

    /// A new set-up link for a staff member (who may have forgotten their password); the
    /// previous one stops working.
    pub async fn new_setup_link(
        &self,
        merchant_id: &str,
        staff_id: &str,
    ) -> Result<(StaffRow, String, DateTime<Utc>), ApiError> {
        let staff = self
            .store
            .staff(merchant_id, staff_id)
            .await?
            .ok_or(Problem::NotFound)?;
        let (token, expires_at) = (random_key("su_", 24), self.now() + SETUP_LINK_TTL);
        let mut tx = self.store.begin().await?;
        tx.set_setup(&staff.id, &sha256_hex(token.as_bytes()), expires_at)
            .await?;
        tx.commit().await?;
        Ok((staff, token, expires_at))
    }

    /// Renames, changes the role of, or (de)activates a staff member. A merchant keeps at
    /// least one active owner; a deactivated member's sessions end at once.
    pub async fn change_staff(
        &self,
        merchant_id: &str,
        staff_id: &str,
        change: &StaffChange,
    ) -> Result<StaffRow, ApiError> {
        let name = change
            .name
            .as_deref()
            .map(|n| text("name", n, MAX_NAME_CHARS))
            .transpose()?;
        retrying(|| async {
            let mut tx = self.store.begin().await?;
            let current = tx
                .lock_staff(merchant_id, staff_id)
                .await?
                .ok_or(Problem::NotFound)?;
            let changed = StaffRow {
                name: name.clone().unwrap_or_else(|| current.name.clone()),
                role: change.role.unwrap_or(current.role),
                active: change.active.unwrap_or(current.active),
                ..current.clone()
            };
            let was_owner = current.active && current.role == Role::Owner;
            let is_owner = changed.active && changed.role == Role::Owner;
            if was_owner && !is_owner && tx.active_owners(merchant_id).await? <= 1 {
                return Err(Stop::from(Problem::LastOwner));
            }
            tx.update_staff(&changed).await?;
            if !changed.active {
                tx.delete_sessions_of(&changed.id).await?;
            }
            tx.commit().await?;
            Ok(changed)
        })
        .await
    }

    /// Creates the merchant's first owner (from the command line) with a set-up link.
    pub async fn create_owner(
        &self,
        merchant_id: &str,
        email: &str,
        name: &str,
    ) -> Result<(StaffRow, String, DateTime<Utc>), ApiError> {
        self.add_staff(
            merchant_id,
            &NewStaff {
                email: email.to_owned(),
                name: name.to_owned(),
                role: Role::Owner,
            },
        )
        .await
    }
}
