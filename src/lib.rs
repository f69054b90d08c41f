//! tapegrad (root crate; filled in below).
pub use tapegrad_tape as tape;
