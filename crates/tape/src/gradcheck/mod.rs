pub fn _placeholder_removed_later() {}
