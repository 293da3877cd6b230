//! The browser side of the seams: IndexedDB storage and the Web Crypto vault.

pub mod idb;
pub mod vault;
