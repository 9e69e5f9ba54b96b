//! The binary path's Montgomery products on x86-64 processors with BMI2
//! and ADX (Intel since Broadwell, AMD since Zen), in assembly: each row
//! `t += a * b` is one `mulx` per digit and two independent carry chains
//! (`adcx` for the high halves, `adox` for the digits of `t`), which the
//! processor runs side by side; Rust has no way to ask for the second
//! chain. About 1.5 times as fast as the portable product scanning
//! ([`super::montgomery`]) for RSA moduli.
//!
//! Products are computed whole, then reduced ("separated operand
//! scanning", Koç, Acar and Kaliski 1996), so that squares compute each
//! cross product once. Same contract as the portable functions: operands
//! below R = 2**(64*n), results below R and congruent to x * y / R mod m.
//! Used only when the processor has both extensions (checked once, by
//! `std`).

use alloc::vec;
use alloc::vec::Vec;

use crate::biguint::BigUint;
use num_traits::Zero;

/// Whether this processor runs the assembly below.
pub(super) fn available() -> bool {
    std::is_x86_feature_detected!("bmi2") && std::is_x86_feature_detected!("adx")
}

/// `t[..len] += a[..len] * b`; returns the carry digit.
///
/// # Safety
/// `t` and `a` valid for `len` digits; the processor has BMI2 and ADX.
#[inline]
unsafe fn add_mul_row(t: *mut u64, a: *const u64, len: usize, b: u64) -> u64 {
    let carry: u64;
    // Loop counters move with `lea` and are tested with `jrcxz`: neither
    // touches the flags, which carry the two chains between digits.
    core::arch::asm!(
        "xor {hi:e}, {hi:e}",
        "mov rcx, {singles}",
        "jrcxz 3f",
        "2:",
        "mulx {h1}, {lo}, qword ptr [{a}]",
        "adcx {lo}, {hi}",
        "adox {lo}, qword ptr [{t}]",
        "mov qword ptr [{t}], {lo}",
        "mov {hi}, {h1}",
        "lea {a}, [{a} + 8]",
        "lea {t}, [{t} + 8]",
        "lea rcx, [rcx - 1]",
        "jrcxz 3f",
        "jmp 2b",
        "3:",
        "mov rcx, {quads}",
        "jrcxz 5f",
        "4:",
        "mulx {h1}, {lo}, qword ptr [{a}]",
        "adcx {lo}, {hi}",
        "adox {lo}, qword ptr [{t}]",
        "mov qword ptr [{t}], {lo}",
        "mulx {hi}, {lo}, qword ptr [{a} + 8]",
        "adcx {lo}, {h1}",
        "adox {lo}, qword ptr [{t} + 8]",
        "mov qword ptr [{t} + 8], {lo}",
        "mulx {h1}, {lo}, qword ptr [{a} + 16]",
        "adcx {lo}, {hi}",
        "adox {lo}, qword ptr [{t} + 16]",
        "mov qword ptr [{t} + 16], {lo}",
        "mulx {hi}, {lo}, qword ptr [{a} + 24]",
        "adcx {lo}, {h1}",
        "adox {lo}, qword ptr [{t} + 24]",
        "mov qword ptr [{t} + 24], {lo}",
        "lea {a}, [{a} + 32]",
        "lea {t}, [{t} + 32]",
        "lea rcx, [rcx - 1]",
        "jrcxz 5f",
        "jmp 4b",
        "5:",
        // The last high half and both chains' carries: the row's sum fits
        // in len + 1 digits, so this cannot overflow.
        "mov {lo:e}, 0",
        "adcx {hi}, {lo}",
        "adox {hi}, {lo}",
        a = inout(reg) a => _,
        t = inout(reg) t => _,
        singles = in(reg) len % 4,
        quads = in(reg) len / 4,
        hi = out(reg) carry,
        h1 = out(reg) _,
        lo = out(reg) _,
        in("rdx") b,
        out("rcx") _,
        options(nostack),
    );
    carry
}

/// `t[..2n] = x * y`.
///
/// # Safety
/// As [`add_mul_row`]; `x` and `y` of `n` digits, `t` of `2n`.
unsafe fn product(t: &mut [u64], x: &[u64], y: &[u64]) {
    let n = x.len();
    t.fill(0);
    for i in 0..n {
        t[i + n] = add_mul_row(t.as_mut_ptr().add(i), x.as_ptr(), n, y[i]);
    }
}

/// `t[..2n] = x * x`: each cross product once, doubled, plus the squares
/// of the digits.
///
/// # Safety
/// As [`add_mul_row`]; `x` of `n` digits, `t` of `2n`.
unsafe fn square(t: &mut [u64], x: &[u64]) {
    let n = x.len();
    t.fill(0);
    for i in 0..n.saturating_sub(1) {
        t[i + n] = add_mul_row(
            t.as_mut_ptr().add(2 * i + 1),
            x.as_ptr().add(i + 1),
            n - 1 - i,
            x[i],
        );
    }
    // x * x < 2**(128n), so twice the cross products plus the squares
    // fits: no carry leaves the last digit.
    let (mut shifted_out, mut carry) = (0u64, 0u64);
    for i in 0..n {
        let (lo, hi) = (t[2 * i], t[2 * i + 1]);
        let doubled_lo = (lo << 1) | shifted_out;
        let doubled_hi = (hi << 1) | (lo >> 63);
        shifted_out = hi >> 63;
        let sq = u128::from(x[i]) * u128::from(x[i]);
        let s = u128::from(doubled_lo) + u128::from(sq as u64) + u128::from(carry);
        let s2 = u128::from(doubled_hi) + (sq >> 64) + (s >> 64);
        t[2 * i] = s as u64;
        t[2 * i + 1] = s2 as u64;
        carry = (s2 >> 64) as u64;
    }
}

/// `z = t / R mod m`, below R, for `t < R * R`: the Montgomery reduction
/// of a whole product, `k = -1/m mod 2**64`.
///
/// # Safety
/// As [`add_mul_row`]; `m` and `z` of `n` digits, `t` of `2n`.
unsafe fn reduce(z: &mut [u64], t: &mut [u64], m: &[u64], k: u64) {
    let n = m.len();
    // The carry out of digit i + n, added in at the next row.
    let mut carry = 0u64;
    for i in 0..n {
        let u = t[i].wrapping_mul(k);
        let c = add_mul_row(t.as_mut_ptr().add(i), m.as_ptr(), n, u);
        let (s, o1) = t[i + n].overflowing_add(c);
        let (s, o2) = s.overflowing_add(carry);
        t[i + n] = s;
        carry = u64::from(o1 | o2);
    }
    // (t + u * m) / R < R + m < 2R: one subtraction of m when it
    // overflows brings it below R.
    if carry == 0 {
        z.copy_from_slice(&t[n..]);
    } else {
        super::sub_vv(z, &t[n..], m);
    }
}

/// [`super::montgomery`] in assembly.
///
/// # Safety
/// The processor has BMI2 and ADX ([`available`]); `x`, `y`, `m` and `z`
/// of `n` digits, `t` of `2n`.
pub(super) unsafe fn montgomery(
    z: &mut [u64],
    x: &[u64],
    y: &[u64],
    m: &[u64],
    k: u64,
    t: &mut [u64],
) {
    product(t, x, y);
    reduce(z, t, m, k);
}

/// [`super::montgomery_square`] in assembly.
///
/// # Safety
/// As [`montgomery`].
pub(super) unsafe fn montgomery_square(z: &mut [u64], x: &[u64], m: &[u64], k: u64, t: &mut [u64]) {
    square(t, x);
    reduce(z, t, m, k);
}

/// [`super::binary_monty_pow`] with the products above.
///
/// # Safety
/// The processor has BMI2 and ADX ([`available`]); `x`, `rr` and `m` of
/// `n` digits; `y` not zero.
pub(super) unsafe fn binary_monty_pow(
    x: &BigUint,
    y: &BigUint,
    rr: &BigUint,
    m: &BigUint,
    k: u64,
    n: usize,
) -> BigUint {
    let (x, rr, m) = (&x.data[..n], &rr.data[..n], &m.data[..n]);
    let mut t: Vec<u64> = vec![0; 2 * n];
    let mut xr = vec![0; n];
    montgomery(&mut xr, x, rr, m, k, &mut t);
    let mut z = xr.clone();
    let mut zz = vec![0; n];
    for i in (0..y.bits() - 1).rev() {
        montgomery_square(&mut zz, &z, m, k, &mut t);
        if (y.data[i / 64] >> (i % 64)) & 1 == 1 {
            montgomery(&mut z, &zz, &xr, m, k, &mut t);
        } else {
            core::mem::swap(&mut z, &mut zz);
        }
    }
    let mut out = BigUint::zero();
    out.data.extend_from_slice(&z);
    out
}
