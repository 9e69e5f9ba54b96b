#![allow(clippy::many_single_char_names)]

use alloc::vec::Vec;
use core::ops::Shl;
use num_traits::{One, Zero};

use crate::big_digit::{self, BigDigit, DoubleBigDigit, SignedDoubleBigDigit};
use crate::biguint::BigUint;

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
fn montgomery(z: &mut BigUint, x: &BigUint, y: &BigUint, m: &BigUint, k: BigDigit, n: usize) {
    // This code assumes x, y, m are all the same length, n.
    // (required by addMulVVW and the for loop).
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

    z.data.clear();
    z.data.resize(n * 2, 0);

    let mut c: BigDigit = 0;

    for i in 0..n {
        let (c2, c3) = add_mul_mont(&mut z.data[i..n + i], &x.data, y.data[i], &m.data, k);
        let cx = c.wrapping_add(c2);
        let cy = cx.wrapping_add(c3);
        z.data[n + i] = cy;
        c = if cx < c2 || cy < c3 { 1 } else { 0 };
    }

    if c == 0 {
        let (first, second) = z.data.split_at_mut(n);
        first.swap_with_slice(&mut second[..]);
    } else {
        let (mut first, second) = z.data.split_at_mut(n);
        sub_vv(&mut first, &second, &m.data);
    }
    z.data.truncate(n);
}

/// [`montgomery`] of `x` by itself, with a quarter fewer digit products:
/// the square is computed first (each cross product once, then doubled,
/// then the squares of the digits added), then reduced (REDC). The result
/// is congruent to `montgomery`'s, within the same bound (below 2**(n*_W)),
/// but not always the same number: both may exceed `m`.
fn montgomery_square(z: &mut BigUint, x: &BigUint, m: &BigUint, k: BigDigit, n: usize) {
    assert!(x.data.len() == n && m.data.len() == n);
    let (x, m) = (&x.data[..], &m.data[..]);
    let t = &mut z.data;
    t.clear();
    t.resize(n * 2, 0);

    // The cross products x[i] * x[j], i < j.
    for i in 0..n {
        t[i + n] = add_mul_vvw(&mut t[2 * i + 1..i + n], &x[i + 1..], x[i]);
    }
    // Doubled, plus the squares x[i] * x[i] (x * x < 2**(2*n*_W): no carry
    // leaves the top digit).
    let mut shifted_out: BigDigit = 0;
    let mut c: DoubleBigDigit = 0;
    for i in 0..n {
        let sq = x[i] as DoubleBigDigit * x[i] as DoubleBigDigit;
        for (half, ti) in [(sq as BigDigit), ((sq >> big_digit::BITS) as BigDigit)]
            .into_iter()
            .zip(2 * i..2 * i + 2)
        {
            let doubled = (t[ti] << 1) | shifted_out;
            shifted_out = t[ti] >> (big_digit::BITS - 1);
            let a = doubled as DoubleBigDigit + half as DoubleBigDigit + c;
            t[ti] = a as BigDigit;
            c = a >> big_digit::BITS;
        }
    }

    // REDC: t + u * m is divisible by 2**(n*_W); below 2**(n*_W) + m.
    let mut top: DoubleBigDigit = 0;
    for i in 0..n {
        let u = t[i].wrapping_mul(k);
        let c = add_mul_vvw(&mut t[i..i + n], m, u);
        let a = t[i + n] as DoubleBigDigit + c as DoubleBigDigit + top;
        t[i + n] = a as BigDigit;
        top = a >> big_digit::BITS;
    }

    if top == 0 {
        let (first, second) = t.split_at_mut(n);
        first.swap_with_slice(second);
    } else {
        let (first, second) = t.split_at_mut(n);
        sub_vv(first, second, m);
    }
    t.truncate(n);
}

/// One step of [`montgomery`] in a single pass over the digits: adds
/// `x * y` to `z`, then `m * t` with `t = z[0] * k` (which zeroes `z[0]`),
/// and returns the carries of the two sums. The same as
/// `add_mul_vvw(z, x, y)` followed by `add_mul_vvw(z, m, z[0] * k)`, but
/// each digit of `z` is read and written once, not twice.
#[inline]
fn add_mul_mont(
    z: &mut [BigDigit],
    x: &[BigDigit],
    y: BigDigit,
    m: &[BigDigit],
    k: BigDigit,
) -> (BigDigit, BigDigit) {
    let n = z.len();
    let (x, m) = (&x[..n], &m[..n]);
    let first = z[0] as DoubleBigDigit + x[0] as DoubleBigDigit * y as DoubleBigDigit;
    let t = (first as BigDigit).wrapping_mul(k);
    let mut cx: DoubleBigDigit = 0;
    let mut cm: DoubleBigDigit = 0;
    for ((zi, &xi), &mi) in z.iter_mut().zip(x).zip(m) {
        let a = *zi as DoubleBigDigit + xi as DoubleBigDigit * y as DoubleBigDigit + cx;
        cx = a >> big_digit::BITS;
        let b = (a as BigDigit) as DoubleBigDigit + mi as DoubleBigDigit * t as DoubleBigDigit + cm;
        cm = b >> big_digit::BITS;
        *zi = b as BigDigit;
    }
    (cx as BigDigit, cm as BigDigit)
}

#[inline]
fn add_mul_vvw(z: &mut [BigDigit], x: &[BigDigit], y: BigDigit) -> BigDigit {
    let mut c = 0;
    for (zi, xi) in z.iter_mut().zip(x.iter()) {
        let (z1, z0) = mul_add_www(*xi, y, *zi);
        let (c_, zi_) = add_ww(z0, c, 0);
        *zi = zi_;
        c = c_ + z1;
    }

    c
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

/// z1<<_W + z0 = x+y+c, with c == 0 or 1
#[inline]
fn add_ww(x: BigDigit, y: BigDigit, c: BigDigit) -> (BigDigit, BigDigit) {
    let yc = y.wrapping_add(c);
    let z0 = x.wrapping_add(yc);
    let z1 = if z0 < x || yc < y { 1 } else { 0 };

    (z1, z0)
}

/// z1 << _W + z0 = x * y + c
#[inline]
fn mul_add_www(x: BigDigit, y: BigDigit, c: BigDigit) -> (BigDigit, BigDigit) {
    let z = x as DoubleBigDigit * y as DoubleBigDigit + c as DoubleBigDigit;
    ((z >> big_digit::BITS) as BigDigit, z as BigDigit)
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

    // rr = 2**(2*_W*len(m)) mod m
    let mut rr = BigUint::one();
    rr = (rr.shl(2 * num_words * big_digit::BITS)) % m;
    if rr.data.len() < num_words {
        rr.data.resize(num_words, 0);
    }
    // one = 1, with equal length to that of m
    let mut one = BigUint::one();
    one.data.resize(num_words, 0);

    if binary_is_cheaper(y) {
        let z = binary_monty_pow(&x, y, &rr, m, mr.n0inv, num_words);
        return from_monty(&z, &one, m, mr.n0inv, num_words);
    }

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

    from_monty(&z, &one, m, mr.n0inv, num_words)
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

/// Converts `z` out of the Montgomery domain and reduces it below `m`.
fn from_monty(z: &BigUint, one: &BigUint, m: &BigUint, k: BigDigit, n: usize) -> BigUint {
    let mut zz = BigUint::zero();
    montgomery(&mut zz, z, one, m, k, n);

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
    fn the_fused_step_equals_the_two_passes() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for n in [1, 2, 3, 8, 64] {
            for _ in 0..50 {
                let digits = |rng: &mut Rng| -> Vec<BigDigit> {
                    (0..n).map(|_| rng.next() as BigDigit).collect()
                };
                let (x, m, z) = (digits(&mut rng), digits(&mut rng), digits(&mut rng));
                // All ones too: the carries at their largest.
                let y = if n == 8 {
                    BigDigit::MAX
                } else {
                    rng.next() as BigDigit
                };
                let k = rng.next() as BigDigit;
                let mut fused = z.clone();
                let carries = add_mul_mont(&mut fused, &x, y, &m, k);
                let mut two = z.clone();
                let c1 = add_mul_vvw(&mut two, &x, y);
                let t = two[0].wrapping_mul(k);
                let c2 = add_mul_vvw(&mut two, &m, t);
                assert_eq!((fused, carries), (two, (c1, c2)));
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
    fn zero_exponent_is_one() {
        assert!(!binary_is_cheaper(&BigUint::zero()));
        let m = BigUint::from(1_000_003u32);
        assert_eq!(monty_modpow(&BigUint::from(5u32), &BigUint::zero(), &m), BigUint::one());
    }
}
