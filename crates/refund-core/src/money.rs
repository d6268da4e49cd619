//! Currencies, exact money, rounding and largest-remainder allocation.
//!
//! A [`Money`] is a `rust_decimal::Decimal` whose scale always equals its currency's ISO 4217
//! minor-unit exponent, so every value is a whole number of minor units. Sums and differences are
//! exact; the only rounding is [`Money::share`] and [`Money::percent`], both half away from zero
//! (四舍五入) at the currency's exponent, computed in integer minor units so no intermediate
//! precision is ever lost.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use core::fmt;
use core::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// The largest absolute amount accepted on input, in major units (one trillion). Products of such
/// amounts with any accepted quantity stay far inside `Decimal`'s and `i128`'s range.
pub const MAX_INPUT_AMOUNT: i64 = 1_000_000_000_000;

/// An ISO 4217 currency the engine knows the minor-unit exponent of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Currency {
    Cny,
    Usd,
    Eur,
    Gbp,
    Hkd,
    Twd,
    Sgd,
    Jpy,
    Krw,
    Kwd,
    Bhd,
}

impl Currency {
    pub const ALL: [Currency; 11] = [
        Currency::Cny,
        Currency::Usd,
        Currency::Eur,
        Currency::Gbp,
        Currency::Hkd,
        Currency::Twd,
        Currency::Sgd,
        Currency::Jpy,
        Currency::Krw,
        Currency::Kwd,
        Currency::Bhd,
    ];

    /// The ISO 4217 alphabetic code, e.g. `"CNY"`.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Hkd => "HKD",
            Currency::Twd => "TWD",
            Currency::Sgd => "SGD",
            Currency::Jpy => "JPY",
            Currency::Krw => "KRW",
            Currency::Kwd => "KWD",
            Currency::Bhd => "BHD",
        }
    }

    /// Digits after the decimal point in the currency's minor unit.
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Jpy | Currency::Krw => 0,
            Currency::Kwd | Currency::Bhd => 3,
            _ => 2,
        }
    }

    /// Parses an ISO 4217 code (upper case, as on the wire).
    pub fn from_code(code: &str) -> Result<Currency, InputError> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| InputError::UnknownCurrency {
                code: code.chars().take(16).collect(),
            })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An exact amount of one currency, always a whole number of minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    pub fn zero(currency: Currency) -> Money {
        Money {
            amount: Decimal::new(0, currency.exponent()),
            currency,
        }
    }

    /// Builds an amount from minor units (`1990` CNY is `19.90`). `None` when out of range.
    pub fn from_minor(minor: i128, currency: Currency) -> Option<Money> {
        let amount = Decimal::try_from_i128_with_scale(minor, currency.exponent()).ok()?;
        Some(Money::normalized(amount, currency))
    }

    /// Parses an input amount: not negative, at most [`MAX_INPUT_AMOUNT`], and no more decimal
    /// places than the currency has (`"19.999"` CNY is refused rather than silently rounded).
    pub fn parse_input(
        value: Decimal,
        currency: Currency,
        field: &str,
    ) -> Result<Money, InputError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(InputError::NegativeAmount {
                field: field.to_owned(),
                value: value.to_string(),
            });
        }
        if value > Decimal::from(MAX_INPUT_AMOUNT) {
            return Err(InputError::AmountTooLarge {
                field: field.to_owned(),
                value: value.to_string(),
            });
        }
        if value.normalize().scale() > currency.exponent() {
            return Err(InputError::TooManyDecimals {
                field: field.to_owned(),
                value: value.to_string(),
                currency,
                exponent: currency.exponent(),
            });
        }
        let mut amount = value;
        amount.rescale(currency.exponent());
        Ok(Money::normalized(amount, currency))
    }

    fn normalized(mut amount: Decimal, currency: Currency) -> Money {
        // `Decimal` has a negative zero; it must never reach the wire as "-0.00".
        if amount.is_zero() {
            amount.set_sign_positive(true);
        }
        Money { amount, currency }
    }

    pub fn amount(self) -> Decimal {
        self.amount
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// The amount in minor units (`19.90` CNY is `1990`).
    pub fn minor(self) -> i128 {
        self.amount.mantissa()
    }

    pub fn is_zero(self) -> bool {
        self.amount.is_zero()
    }

    pub fn is_negative(self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Some(Money::normalized(
            self.amount.checked_add(other.amount)?,
            self.currency,
        ))
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Some(Money::normalized(
            self.amount.checked_sub(other.amount)?,
            self.currency,
        ))
    }

    pub fn negated(self) -> Money {
        Money::normalized(-self.amount, self.currency)
    }

    pub fn checked_mul(self, factor: u32) -> Option<Money> {
        Some(Money::normalized(
            self.amount.checked_mul(Decimal::from(factor))?,
            self.currency,
        ))
    }

    pub fn min(self, other: Money) -> Money {
        if other.amount < self.amount {
            other
        } else {
            self
        }
    }

    pub fn max(self, other: Money) -> Money {
        if other.amount > self.amount {
            other
        } else {
            self
        }
    }

    /// `round(self × m / n)` half away from zero, in exact integer arithmetic. `None` when `n` is 0
    /// or the result is out of range.
    pub fn share(self, m: u32, n: u32) -> Option<Money> {
        let scaled = self.minor().checked_mul(i128::from(m))?;
        Money::from_minor(div_round_half_away(scaled, i128::from(n))?, self.currency)
    }

    /// `round(self × percent / 100)` half away from zero at the currency's exponent.
    pub fn percent(self, percent: Decimal) -> Option<Money> {
        let exact = self
            .amount
            .checked_mul(percent)?
            .checked_div(Decimal::ONE_HUNDRED)?;
        let mut rounded = exact.round_dp_with_strategy(
            self.currency.exponent(),
            RoundingStrategy::MidpointAwayFromZero,
        );
        rounded.rescale(self.currency.exponent());
        Some(Money::normalized(rounded, self.currency))
    }

    /// Sums amounts of one currency; an empty sum is zero.
    pub fn sum(currency: Currency, items: impl IntoIterator<Item = Money>) -> Option<Money> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), Money::checked_add)
    }
}

impl fmt::Display for Money {
    /// The wire form: a plain decimal string with exactly the currency's decimals (`"19.90"`,
    /// `"1990"` for JPY, `"1.250"` for KWD).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.amount, f)
    }
}

/// Integer division rounding half away from zero. `None` when `d` is not positive.
fn div_round_half_away(n: i128, d: i128) -> Option<i128> {
    if d <= 0 {
        return None;
    }
    let q = n
        .unsigned_abs()
        .checked_mul(2)?
        .checked_add(d.unsigned_abs())?
        / (2 * d.unsigned_abs());
    let q = i128::try_from(q).ok()?;
    Some(if n < 0 { -q } else { q })
}

/// Splits `total` into shares proportional to `weights` by the largest remainder method, in
/// minor units: each share is the floor of its exact quota, and the minor units left over go one
/// each to the largest remainders, ties to the earlier weight. The shares always sum to `total`
/// exactly, and no share exceeds its weight while `total` does not exceed the sum of weights.
///
/// Returns `None` when the weights sum to zero but `total` does not, when any weight or the total
/// is negative, or on overflow.
pub fn allocate(total: Money, weights: &[Money]) -> Option<Vec<Money>> {
    let currency = total.currency;
    let t = total.minor();
    if t < 0
        || weights
            .iter()
            .any(|w| w.is_negative() || w.currency != currency)
    {
        return None;
    }
    let sum: i128 = weights
        .iter()
        .try_fold(0i128, |acc, w| acc.checked_add(w.minor()))?;
    if sum == 0 {
        return if t == 0 {
            Some(vec![Money::zero(currency); weights.len()])
        } else {
            None
        };
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given: i128 = 0;
    for (index, w) in weights.iter().enumerate() {
        let product = t.checked_mul(w.minor())?;
        let floor = product / sum;
        shares.push(floor);
        remainders.push((product % sum, Reverse(index)));
        given += floor;
    }
    let left_over = usize::try_from(t - given).ok()?;
    // Largest remainder first; on equal remainders the earlier index wins. Fewer units are left
    // over than there are weights, so a heap hands them out without sorting every remainder
    // (and keeps a sort's code out of the widget's download).
    let mut remainders = BinaryHeap::from(remainders);
    for _ in 0..left_over {
        let (_, Reverse(index)) = remainders.pop()?;
        shares[index] += 1;
    }
    shares
        .into_iter()
        .map(|minor| Money::from_minor(minor, currency))
        .collect()
}

/// Parses a decimal string strictly: an optional `-`, digits, optionally `.` and digits. No
/// exponent, no `+`, no spaces, no thousands separators; at most 28 significant digits.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) || text.len() > 40 {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

impl FromStr for Currency {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(minor: i128) -> Money {
        Money::from_minor(minor, Currency::Cny).unwrap()
    }

    #[test]
    fn share_rounds_half_away_from_zero() {
        assert_eq!(cny(1).share(1, 2), Some(cny(1)));
        assert_eq!(cny(-1).share(1, 2), Some(cny(-1)));
        assert_eq!(cny(1000).share(1, 3), Some(cny(333)));
        assert_eq!(cny(1000).share(2, 3), Some(cny(667)));
        assert_eq!(cny(1000).share(1, 0), None);
    }

    #[test]
    fn allocation_gives_left_over_units_to_largest_remainders_then_earlier_lines() {
        let shares = allocate(cny(100), &[cny(100), cny(100), cny(100)]).unwrap();
        assert_eq!(shares, vec![cny(34), cny(33), cny(33)]);
        let shares = allocate(cny(10), &[cny(1), cny(2), cny(4)]).unwrap();
        assert_eq!(shares, vec![cny(1), cny(3), cny(6)]);
    }

    #[test]
    fn strict_decimal_parsing_refuses_anything_but_plain_decimals() {
        for bad in [
            "", "-", "1.", ".5", "1e3", "+1", " 1", "1,000", "0x10", "NaN", "1.2.3",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
        assert_eq!(parse_decimal("19.90"), Some(Decimal::new(1990, 2)));
        assert_eq!(parse_decimal("-0.5"), Some(Decimal::new(-5, 1)));
    }

    #[test]
    fn zero_never_prints_with_a_minus_sign() {
        assert_eq!(cny(0).negated().to_string(), "0.00");
        assert_eq!(cny(5).checked_sub(cny(5)).unwrap().to_string(), "0.00");
    }
}
