//! What a signature is about: a docker reference ([`mod@reference`]), the
//! manifest bytes ([`manifest`]) and their digest ([`digest`]).

pub mod digest;
pub mod manifest;
pub mod reference;
