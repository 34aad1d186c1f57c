//! Interned strings: descriptions and references repeat across thousands of records, so each
//! distinct text is stored once and records hold its index.

use std::collections::HashMap;

#[derive(Default, Debug)]
pub struct Strings {
    texts: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Strings {
    pub fn intern(&mut self, text: &str) -> u32 {
        if let Some(&i) = self.index.get(text) {
            return i;
        }
        let i = u32::try_from(self.texts.len()).expect("fewer than 4 billion distinct strings");
        self.texts.push(text.into());
        self.index.insert(text.into(), i);
        i
    }

    pub fn get(&self, i: u32) -> &str {
        &self.texts[i as usize]
    }
}
