//! Links the addon the way Node.js loads it (napi-build).

fn main() {
    napi_build::setup();
}
