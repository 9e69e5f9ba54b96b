#![allow(clippy::many_single_char_names)]

use alloc::vec::Vec;
use core::ops::Shl;
use num_traits::{One, Zero};

use crate::big_digit::{self, BigDigit, DoubleBigDigit, SignedDoubleBigDigit};
use crate::biguint::BigUint;

#[cfg(all(target_arch = "x86_64", feature = "std", feature = "u64_digit"))]
#[path = "monty_adx.rs"]
mod adx;

struct MontyReducer {
    n0inv: BigDigit,
}

// k0 = -m**-1 mod 2**BITS. Algorithm from: Dumas, J.G. "On Newton–Raphson
// Iteration for Multiplicative Inverses Modulo Prime Powers".
fn inv_mod_alt(b: BigDigit) -> BigDigit {
    assert_ne!(b & 1, 0);

    let mut k0 = 2 - b as SignedDoubleBigDigit;
    let mut t = (b - 1) as SignedDoubleBigDigit;
    let mut i = 1;
    while i < big_digit::BITS {
        t = t.wrapping_mul(t);
        k0 = k0.wrapping_mul(t + 1);

        i <<= 1;
    }
    -k0 as BigDigit
}

impl MontyReducer {
    fn new(n: &BigUint) -> Self {
        let n0inv = inv_mod_alt(n.data[0]);
        MontyReducer { n0inv }
    }
}

/// Computes z mod m = x * y * 2 ** (-n*_W) mod m
/// assuming k = -1/m mod 2**_W
/// See Gueron, "Efficient Software Implementations of Modular Exponentiation".
/// https://eprint.iacr.org/2011/239.pdf
/// In the terminology of that paper, this is an "Almost Montgomery Multiplication":
/// x and y are required to satisfy 0 <= z < 2**(n*_W) and then the result
/// z is guaranteed to satisfy 0 <= z < 2**(n*_W), but it may not be < m.
///
/// The product and its reduction are summed column by column, digit `i` of
/// `x * y + u * m` at a time, in a three-digit accumulator ("Finely
/// Integrated Product Scanning", Koç, Acar and Kaliski, "Analyzing and
/// Comparing Montgomery Multiplication Algorithms", 1996): each digit
/// product costs one multiplication and three additions, and no digit of
/// the result is read back from memory.
fn montgomery(z: &mut BigUint, x: &BigUint, y: &BigUint, m: &BigUint, k: BigDigit, n: usize) {
    // This code assumes x, y, m are all the same length, n.
    // It also assumes that x, y are already reduced mod m,
    // or else the result will not be properly reduced.
    assert!(
        x.data.len() == n && y.data.len() == n && m.data.len() == n,
        "{:?} {:?} {:?} {}",
        x,
        y,
        m,
        n
    );
    let (x, y, m) = (&x.data[..], &y.data[..], &m.data[..]);
    reduce_columns(z, m, k, n, |i, acc| {
        // x[j] * y[i - j] for every j with both digits present.
        let (lo, hi) = (i.saturating_sub(n - 1), i.min(n - 1));
        acc.add_column(&x[lo..=hi], &y[i - hi..=i - lo]);
    });
}

/// [`montgomery`] of `x` by itself, with a quarter fewer digit products:
/// each cross product `x[j] * x[i - j]` (j < i - j) once, doubled, plus the
/// square of the middle digit. The result is congruent to `montgomery`'s,
/// within the same bound (below 2**(n*_W)), but not always the same number:
/// both may exceed `m`.
fn montgomery_square(z: &mut BigUint, x: &BigUint, m: &BigUint, k: BigDigit, n: usize) {
    assert!(x.data.len() == n && m.data.len() == n);
    let (x, m) = (&x.data[..], &m.data[..]);
    reduce_columns(z, m, k, n, |i, acc| {
        let lo = i.saturating_sub(n - 1);
        // j runs up to, not including, the middle of the column.
        let mid = (i + 1) / 2;
        let mut cross = Accumulator::default();
        cross.add_column(&x[lo..mid], &x[i + 1 - mid..=i - lo]);
        acc.add_doubled(&cross);
        if i % 2 == 0 && i / 2 < n {
            acc.mul_add(x[i / 2], x[i / 2]);
        }
    });
}

/// The Montgomery reduction shared by [`montgomery`] and
/// [`montgomery_square`]: for each column `i` of `2n`, `column` adds the
/// column's digit products of the operands to the accumulator; this adds
/// those of `u * m`, where the digits of `u` are chosen (with `k`) to make
/// the lower `n` columns zero, and keeps the upper `n` in `z` (minus `m`
/// when they overflow `n` digits).
#[inline(always)]
fn reduce_columns<F>(z: &mut BigUint, m: &[BigDigit], k: BigDigit, n: usize, mut column: F)
where
    F: FnMut(usize, &mut Accumulator),
{
    z.data.clear();
    z.data.resize(n * 2, 0);
    // u in the lower half, the result in the upper half.
    let (u, out) = z.data.split_at_mut(n);
    let mut acc = Accumulator::default();
    for i in 0..2 * n {
        column(i, &mut acc);
        let (lo, hi) = (i.saturating_sub(n - 1), i.min(n));
        if i < n {
            acc.add_column(&u[..i], &m[1..=i]);
            let ui = acc.lo.wrapping_mul(k);
            acc.mul_add(ui, m[0]);
            u[i] = ui;
            acc.shift();
        } else {
            acc.add_column(&u[lo..hi], &m[i + 1 - hi..=i - lo]);
            out[i - n] = acc.shift();
        }
    }
    // x * y + u * m < 2 * 2**(2*n*_W): what is left is a carry of 0 or 1.
    if acc.lo == 0 {
        u.swap_with_slice(out);
    } else {
        sub_vv(u, out, m);
    }
    z.data.truncate(n);
}

/// A sum of digit products, `lo + mid * 2**_W + hi * 2**(2*_W)`.
#[derive(Default)]
struct Accumulator {
    lo: BigDigit,
    mid: BigDigit,
    hi: BigDigit,
}

impl Accumulator {
    // Written so that the compiler makes of it one multiplication and an
    // add-with-carry chain through the three digits.
    #[inline(always)]
    fn mul_add(&mut self, a: BigDigit, b: BigDigit) {
        let p = a as DoubleBigDigit * b as DoubleBigDigit;
        let (lo, carry) = self.lo.overflowing_add(p as BigDigit);
        let mid = self.mid as DoubleBigDigit + (p >> big_digit::BITS) + carry as DoubleBigDigit;
        self.lo = lo;
        self.mid = mid as BigDigit;
        self.hi = self.hi.wrapping_add((mid >> big_digit::BITS) as BigDigit);
    }

    /// Adds `a[j] * b[len - 1 - j]` for every `j`: one column of a product
    /// when `b` runs the other way. Even and odd `j` go to two
    /// accumulators, two carry chains the processor runs side by side.
    #[inline(always)]
    fn add_column(&mut self, a: &[BigDigit], b: &[BigDigit]) {
        let len = a.len().min(b.len());
        let (a, b) = (&a[..len], &b[..len]);
        let mut even = Accumulator {
            lo: self.lo,
            mid: self.mid,
            hi: self.hi,
        };
        let mut odd = Accumulator::default();
        let mut a_pairs = a.chunks_exact(2);
        let mut b_pairs = b.rchunks_exact(2);
        for (x, y) in (&mut a_pairs).zip(&mut b_pairs) {
            even.mul_add(x[0], y[1]);
            odd.mul_add(x[1], y[0]);
        }
        if let (Some(&x), Some(&y)) = (a_pairs.remainder().first(), b_pairs.remainder().first()) {
            even.mul_add(x, y);
        }
        even.add(&odd);
        *self = even;
    }

    /// Adds `other`.
    #[inline(always)]
    fn add(&mut self, other: &Accumulator) {
        let (lo, carry) = self.lo.overflowing_add(other.lo);
        let mid =
            self.mid as DoubleBigDigit + other.mid as DoubleBigDigit + carry as DoubleBigDigit;
        self.lo = lo;
        self.mid = mid as BigDigit;
        self.hi = self
            .hi
            .wrapping_add(other.hi)
            .wrapping_add((mid >> big_digit::BITS) as BigDigit);
    }

    /// Adds twice `other`.
    #[inline(always)]
    fn add_doubled(&mut self, other: &Accumulator) {
        let (lo, carry) = self.lo.overflowing_add(other.lo << 1);
        let mid = self.mid as DoubleBigDigit
            + ((other.mid as DoubleBigDigit) << 1)
            + (other.lo >> (big_digit::BITS - 1)) as DoubleBigDigit
            + carry as DoubleBigDigit;
        self.lo = lo;
        self.mid = mid as BigDigit;
        self.hi = self
            .hi
            .wrapping_add((other.hi << 1) + (mid >> big_digit::BITS) as BigDigit);
    }

    /// Drops the lowest digit, returning it.
    #[inline(always)]
    fn shift(&mut self) -> BigDigit {
        let lo = self.lo;
        self.lo = self.mid;
        self.mid = self.hi;
        self.hi = 0;
        lo
    }
}

/// The resulting carry c is either 0 or 1.
#[inline]
fn sub_vv(z: &mut [BigDigit], x: &[BigDigit], y: &[BigDigit]) -> BigDigit {
    let mut c = 0;
    for (i, (xi, yi)) in x.iter().zip(y.iter()).enumerate().take(z.len()) {
        let zi = xi.wrapping_sub(*yi).wrapping_sub(c);
        z[i] = zi;
        // see "Hacker's Delight", section 2-12 (overflow detection)
        c = ((yi & !xi) | ((yi | !xi) & zi)) >> (big_digit::BITS - 1)
    }

    c
}

/// Calculates x ** y mod m using a fixed, 4-bit window.
pub fn monty_modpow(x: &BigUint, y: &BigUint, m: &BigUint) -> BigUint {
    assert!(m.data[0] & 1 == 1);
    let mr = MontyReducer::new(m);
    let num_words = m.data.len();

    let mut x = x.clone();

    // We want the lengths of x and m to be equal.
    // It is OK if x >= m as long as len(x) == len(m).
    if x.data.len() > num_words {
        x %= m;
        // Note: now len(x) <= numWords, not guaranteed ==.
    }
    if x.data.len() < num_words {
        x.data.resize(num_words, 0);
    }

    if binary_is_cheaper(y) {
        let rr = public_r_squared(m, num_words);
        let z = binary_monty_pow(&x, y, &rr, m, mr.n0inv, num_words);
        return from_monty(&z, m, mr.n0inv, num_words);
    }

    let rr = r_squared(m, num_words);
    // one = 1, with equal length to that of m
    let mut one = BigUint::one();
    one.data.resize(num_words, 0);

    let n = 4;
    // powers[i] contains x^i
    let mut powers = Vec::with_capacity(1 << n);

    let mut v1 = BigUint::zero();
    montgomery(&mut v1, &one, &rr, m, mr.n0inv, num_words);
    powers.push(v1);
    let mut v2 = BigUint::zero();
    montgomery(&mut v2, &x, &rr, m, mr.n0inv, num_words);
    powers.push(v2);
    for i in 2..1 << n {
        let mut r = BigUint::zero();
        montgomery(&mut r, &powers[i - 1], &powers[1], m, mr.n0inv, num_words);
        powers.push(r);
    }

    // initialize z = 1 (Montgomery 1)
    let mut z = powers[0].clone();
    z.data.resize(num_words, 0);
    let mut zz = BigUint::zero();
    zz.data.resize(num_words, 0);

    // same windowed exponent, but with Montgomery multiplications
    for i in (0..y.data.len()).rev() {
        let mut yi = y.data[i];
        let mut j = 0;
        while j < big_digit::BITS {
            if i != y.data.len() - 1 || j != 0 {
                montgomery(&mut zz, &z, &z, m, mr.n0inv, num_words);
                montgomery(&mut z, &zz, &zz, m, mr.n0inv, num_words);
                montgomery(&mut zz, &z, &z, m, mr.n0inv, num_words);
                montgomery(&mut z, &zz, &zz, m, mr.n0inv, num_words);
            }
            montgomery(
                &mut zz,
                &z,
                &powers[(yi >> (big_digit::BITS - n)) as usize],
                m,
                mr.n0inv,
                num_words,
            );
            core::mem::swap(&mut z, &mut zz);
            yi <<= n;
            j += n;
        }
    }

    from_monty(&z, m, mr.n0inv, num_words)
}

/// rr = 2**(2*_W*len(m)) mod m, with the length of m.
fn r_squared(m: &BigUint, n: usize) -> BigUint {
    let mut rr = BigUint::one().shl(2 * n * big_digit::BITS) % m;
    if rr.data.len() < n {
        rr.data.resize(n, 0);
    }
    rr
}

/// [`r_squared`], remembered for the last modulus: a verifier uses one
/// public key over and over (its self-signature, then every signature it
/// made), and the division costs about as much as two Montgomery
/// squarings. Only the binary path (public exponents, so public moduli)
/// asks for it: no secret modulus is kept. Not part of the patch offered
/// upstream (a process-wide cache is the caller's choice to make).
#[cfg(feature = "std")]
fn public_r_squared(m: &BigUint, n: usize) -> BigUint {
    use std::sync::Mutex;
    static LAST: Mutex<Option<(BigUint, BigUint)>> = Mutex::new(None);
    if let Ok(last) = LAST.lock() {
        if let Some((modulus, rr)) = last.as_ref() {
            if modulus == m {
                return rr.clone();
            }
        }
    }
    let rr = r_squared(m, n);
    if let Ok(mut last) = LAST.lock() {
        *last = Some((m.clone(), rr.clone()));
    }
    rr
}

#[cfg(not(feature = "std"))]
fn public_r_squared(m: &BigUint, n: usize) -> BigUint {
    r_squared(m, n)
}

/// Whether left-to-right binary exponentiation takes fewer Montgomery
/// products than the 4-bit window: bits - 1 squarings, ones - 1
/// multiplications and 2 conversions, against 16 products for the window's
/// table, 5 for every 4 bits of every digit of `y` however few of them are
/// set (4 fewer for the first) and 1 conversion. Public RSA exponents
/// (3, 17, 65537) take 4 to 19 products instead of 93 (64-bit digits).
fn binary_is_cheaper(y: &BigUint) -> bool {
    let bits = y.bits();
    let ones: usize = y.data.iter().map(|d| d.count_ones() as usize).sum();
    let windows = y.data.len() * big_digit::BITS / 4;
    bits != 0 && bits + ones < 16 + 5 * windows - 4 + 1
}

/// x ** y in the Montgomery domain (times R = 2**(_W*n)), by left-to-right
/// binary exponentiation; `y` must not be zero.
fn binary_monty_pow(
    x: &BigUint,
    y: &BigUint,
    rr: &BigUint,
    m: &BigUint,
    k: BigDigit,
    n: usize,
) -> BigUint {
    #[cfg(all(target_arch = "x86_64", feature = "std", feature = "u64_digit"))]
    if adx::available() {
        // SAFETY: the processor has BMI2 and ADX; the operands have n
        // digits (monty_modpow pads x, r_squared pads rr) and y is not
        // zero (binary_is_cheaper).
        return unsafe { adx::binary_monty_pow(x, y, rr, m, k, n) };
    }
    portable_binary_monty_pow(x, y, rr, m, k, n)
}

/// [`binary_monty_pow`] in portable Rust.
fn portable_binary_monty_pow(
    x: &BigUint,
    y: &BigUint,
    rr: &BigUint,
    m: &BigUint,
    k: BigDigit,
    n: usize,
) -> BigUint {
    let mut xr = BigUint::zero();
    montgomery(&mut xr, x, rr, m, k, n);
    let mut z = xr.clone();
    let mut zz = BigUint::zero();
    for i in (0..y.bits() - 1).rev() {
        montgomery_square(&mut zz, &z, m, k, n);
        if (y.data[i / big_digit::BITS] >> (i % big_digit::BITS)) & 1 == 1 {
            montgomery(&mut z, &zz, &xr, m, k, n);
        } else {
            core::mem::swap(&mut z, &mut zz);
        }
    }
    z
}

/// Converts `z` out of the Montgomery domain and reduces it below `m`:
/// [`montgomery`] by one, whose only digit products are the reduction's.
fn from_monty(z: &BigUint, m: &BigUint, k: BigDigit, n: usize) -> BigUint {
    assert!(z.data.len() == n && m.data.len() == n);
    let z = &z.data[..];
    let mut zz = BigUint::zero();
    reduce_columns(&mut zz, &m.data, k, n, |i, acc| {
        if i < n {
            acc.mul_add(z[i], 1);
        }
    });

    zz.normalize();
    // One last reduction, just in case.
    // See golang.org/issue/13907.
    if &zz >= m {
        // Common case is m has high bit set; in that case,
        // since zz is the same length as m, there can be just
        // one multiple of m to remove. Just subtract.
        // We think that the subtract should be sufficient in general,
        // so do that unconditionally, but double-check,
        // in case our beliefs are wrong.
        // The div is not expected to be reached.
        zz -= m;
        if &zz >= m {
            zz %= m;
        }
    }

    zz.normalize();
    zz
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// xorshift64*: reproducible inputs without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn biguint(&mut self, bits: usize) -> BigUint {
            let words = (bits + 31) / 32;
            let mut v: Vec<u32> = (0..words).map(|_| self.next() as u32).collect();
            if bits % 32 != 0 {
                v[words - 1] &= (1 << (bits % 32)) - 1;
            }
            BigUint::new(v)
        }

        /// An odd modulus of exactly `bits` bits.
        fn odd_modulus(&mut self, bits: usize) -> BigUint {
            let m = self.biguint(bits) | BigUint::one() | (BigUint::one() << (bits - 1));
            m
        }
    }

    /// x ** y mod m by square-and-multiply with division: no Montgomery
    /// code in common with what it checks.
    fn reference(x: &BigUint, y: &BigUint, m: &BigUint) -> BigUint {
        let mut acc = BigUint::one() % m;
        for i in (0..y.bits()).rev() {
            acc = &acc * &acc % m;
            if (y >> i) & BigUint::one() == BigUint::one() {
                acc = acc * x % m;
            }
        }
        acc
    }

    fn check(exponents: &[BigUint], rng: &mut Rng) {
        for &bits in &[2, 31, 64, 65, 127, 521, 1024, 2048, 4096] {
            for _ in 0..4 {
                let m = rng.odd_modulus(bits);
                // Below m, and one at least as long as m (allowed).
                let below = rng.biguint(bits) % &m;
                let long = rng.biguint(bits + 64);
                for x in [below, long, BigUint::zero(), BigUint::one(), &m - 1u32] {
                    for y in exponents {
                        assert_eq!(
                            monty_modpow(&x, y, &m),
                            reference(&x, y, &m),
                            "{x} ** {y} mod {m}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_product_is_x_times_y_over_r_and_below_r() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for bits in [2, 31, 63, 64, 65, 128, 1000, 2048, 4096] {
            for round in 0..20 {
                let m = rng.odd_modulus(bits);
                let n = m.data.len();
                let k = MontyReducer::new(&m).n0inv;
                let r = BigUint::one() << (n * big_digit::BITS);
                // Any x and y below R, at or above m included; all ones
                // once: the carries at their largest.
                let digits = |rng: &mut Rng| {
                    let mut v = if round == 0 {
                        &r - BigUint::one()
                    } else {
                        rng.biguint(n * big_digit::BITS)
                    };
                    v.data.resize(n, 0);
                    v
                };
                let (x, y) = (digits(&mut rng), digits(&mut rng));
                let mut z = BigUint::zero();
                montgomery(&mut z, &x, &y, &m, k, n);
                assert_eq!(z.data.len(), n);
                let (mut x, mut y) = (x, y);
                x.normalize();
                y.normalize();
                z.normalize();
                assert!(z < r, "{bits} bits: {z} >= R");
                assert_eq!(&z * &r % &m, &x * &y % &m, "{bits} bits: {x} * {y}");
            }
        }
    }

    #[test]
    fn squaring_is_congruent_to_the_product_and_as_bounded() {
        let mut rng = Rng(0x5851_f42d_4c95_7f2d);
        for bits in [2, 63, 64, 65, 128, 1000, 2048, 4096] {
            for round in 0..20 {
                let m = rng.odd_modulus(bits);
                let n = m.data.len();
                let k = MontyReducer::new(&m).n0inv;
                // Any x below 2**(n*_W), at or above m included; all ones
                // once: the largest square.
                let mut x = if round == 0 {
                    (BigUint::one() << (n * big_digit::BITS)) - BigUint::one()
                } else {
                    rng.biguint(n * big_digit::BITS)
                };
                x.data.resize(n, 0);
                let mut product = BigUint::zero();
                montgomery(&mut product, &x, &x, &m, k, n);
                let mut square = BigUint::zero();
                montgomery_square(&mut square, &x, &m, k, n);
                assert_eq!(square.data.len(), n);
                let r = BigUint::one() << (n * big_digit::BITS);
                let (mut p, mut q) = (product.clone(), square.clone());
                p.normalize();
                q.normalize();
                assert!(q < r, "{bits} bits: {q} >= R");
                assert_eq!(&p % &m, &q % &m, "{bits} bits, x = {x}");
            }
        }
    }

    #[test]
    fn public_exponents_take_the_binary_path_and_agree() {
        let exponents: Vec<BigUint> = vec![1u32, 2, 3, 17, 65537, 0x8000_0001]
            .into_iter()
            .map(BigUint::from)
            .collect();
        for y in &exponents {
            assert!(binary_is_cheaper(y), "{y}");
        }
        check(&exponents, &mut Rng(0x9e37_79b9_7f4a_7c15));
    }

    /// The portable binary path, which `monty_modpow` skips on processors
    /// with the assembly's extensions, against the reference.
    #[test]
    fn the_portable_binary_path_agrees() {
        let mut rng = Rng(0xbb67_ae85_84ca_a73b);
        for &bits in &[2, 64, 65, 1024, 4096] {
            let m = rng.odd_modulus(bits);
            let n = m.data.len();
            let k = MontyReducer::new(&m).n0inv;
            let rr = r_squared(&m, n);
            for y in [3u32, 65537].map(BigUint::from) {
                let mut x = rng.biguint(bits) % &m;
                let expected = reference(&x, &y, &m);
                x.data.resize(n, 0);
                let z = portable_binary_monty_pow(&x, &y, &rr, &m, k, n);
                assert_eq!(from_monty(&z, &m, k, n), expected, "{bits} bits");
            }
        }
    }

    /// The assembly's products, where this processor runs them, against
    /// their definition: z * R = x * y (mod m) and z < R, for x and y
    /// below R (at and above m included; all ones once), and squares
    /// likewise, on moduli of 1 to 64 digits.
    #[cfg(all(target_arch = "x86_64", feature = "std", feature = "u64_digit"))]
    #[test]
    fn the_assembly_products_are_x_times_y_over_r_and_below_r() {
        if !adx::available() {
            return;
        }
        let mut rng = Rng(0x3c6e_f372_fe94_f82b);
        for bits in [
            2, 63, 64, 65, 127, 128, 129, 200, 257, 1000, 2048, 3072, 4096,
        ] {
            for round in 0..12 {
                let m = rng.odd_modulus(bits);
                let n = m.data.len();
                let k = MontyReducer::new(&m).n0inv;
                let r = BigUint::one() << (n * big_digit::BITS);
                let digits = |rng: &mut Rng| {
                    let mut v = if round == 0 {
                        &r - BigUint::one()
                    } else {
                        rng.biguint(n * big_digit::BITS)
                    };
                    v.data.resize(n, 0);
                    v
                };
                let (x, y) = (digits(&mut rng), digits(&mut rng));
                let mut t = vec![0; 2 * n];
                let (mut product, mut square) = (vec![0; n], vec![0; n]);
                // SAFETY: available() said yes; every operand has n digits.
                unsafe {
                    adx::montgomery(&mut product, &x.data, &y.data, &m.data, k, &mut t);
                    adx::montgomery_square(&mut square, &x.data, &m.data, k, &mut t);
                }
                let number = |d: &[u64]| {
                    let mut v = BigUint::zero();
                    v.data.extend_from_slice(d);
                    v.normalize();
                    v
                };
                let (x, y) = (number(&x.data), number(&y.data));
                let (product, square) = (number(&product), number(&square));
                assert!(product < r, "{bits} bits: {product} >= R");
                assert_eq!(&product * &r % &m, &x * &y % &m, "{bits} bits: {x} * {y}");
                assert!(square < r, "{bits} bits: {square} >= R");
                assert_eq!(&square * &r % &m, &x * &x % &m, "{bits} bits: {x} squared");
            }
        }
    }

    #[test]
    fn large_exponents_take_the_window_and_agree() {
        let mut rng = Rng(0xd1b5_4a32_d192_ed03);
        let exponents: Vec<BigUint> = vec![
            BigUint::from(u64::MAX),
            rng.biguint(256) | (BigUint::one() << 255),
            rng.biguint(2048) | (BigUint::one() << 2047),
        ];
        for y in &exponents {
            assert!(!binary_is_cheaper(y), "{y}");
        }
        check(&exponents, &mut rng);
    }

    #[test]
    fn the_remembered_r_squared_is_the_modulus_own() {
        let mut rng = Rng(0x6a09_e667_f3bc_c908);
        // Moduli of one length in turn, each twice in a row: a hit, then
        // a miss for the next modulus, which must not get the last one's.
        let moduli: Vec<BigUint> = (0..4).map(|_| rng.odd_modulus(2048)).collect();
        let e = BigUint::from(65537u32);
        for m in moduli.iter().chain(moduli.iter().rev()) {
            for _ in 0..2 {
                let x = rng.biguint(2048) % m;
                assert_eq!(
                    public_r_squared(m, m.data.len()),
                    r_squared(m, m.data.len())
                );
                assert_eq!(monty_modpow(&x, &e, m), reference(&x, &e, m));
            }
        }
    }

    #[test]
    fn zero_exponent_is_one() {
        assert!(!binary_is_cheaper(&BigUint::zero()));
        let m = BigUint::from(1_000_003u32);
        assert_eq!(
            monty_modpow(&BigUint::from(5u32), &BigUint::zero(), &m),
            BigUint::one()
        );
    }
}
