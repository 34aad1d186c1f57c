//! The application API as the desktop uses it, on a real data folder, the real
//! keychain and a sandbox on loopback.

mod deep_link_sign_in;
