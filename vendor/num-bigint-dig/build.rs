fn main() {
    // Declared, so that cargo (1.80 and later) does not warn about every use.
    println!("cargo:rustc-check-cfg=cfg(has_i128)");
    println!("cargo:rustc-cfg=has_i128");
}
