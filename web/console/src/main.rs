//! Mounts the desk on its page.

use refund_console::app::App;

fn main() {
    leptos::mount::mount_to_body(App);
}
