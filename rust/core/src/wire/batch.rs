//! [`Batch`]: stream messages written back to back into one buffer, so an encoder appends
//! many per call with no allocation per message and a binding hands them out one by one.

/// Messages in one `String`, with the end offset of each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    text: String,
    ends: Vec<usize>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Batch::default()
    }

    /// Append one message written by `write` (which appends it to the buffer it is given).
    pub fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        write(&mut self.text);
        self.ends.push(self.text.len());
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no messages.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The messages in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let message = &self.text[start..end];
            start = end;
            message
        })
    }

    /// Drop every message, keeping the buffers for reuse.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_back_in_order() {
        let mut batch = Batch::new();
        assert!(batch.is_empty());
        batch.push_with(|out| out.push_str("{\"a\":1}"));
        batch.push_with(|out| out.push_str("{}"));
        assert_eq!(batch.len(), 2);
        assert_eq!(batch.iter().collect::<Vec<_>>(), ["{\"a\":1}", "{}"]);
        batch.clear();
        assert_eq!(batch.iter().count(), 0);
    }
}
