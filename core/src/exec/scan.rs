//! One forward pass over a JSON event that visits only the paths in the selector trie.
//!
//! Values under a path no selector uses are skipped without building anything; strings are decoded
//! only when a selector needs them and they contain an escape. The whole event is still checked to
//! be one valid JSON object by the reference reader's own lexical rules (a malformed event matches
//! no JSON pattern, whatever its first bytes say), so the engine and the reference cannot
//! disagree on which events are JSON.

use std::borrow::Cow;

use crate::compile::program::{Trie, key_bit};
use crate::exec::engine::Marks;
use crate::json::{MAX_DEPTH, Parser, TopMembers};

/// A value a selector reached.
#[derive(Debug)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    /// The number as written.
    Number(&'a str),
    Str(Cow<'a, str>),
    /// An object or an array: present, but never equal to anything.
    Container,
}

/// What a value was reached as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reached {
    /// The end of a filter pattern selector: its field.
    Filter(u32),
    /// An event pattern path (a scalar only): its field, and whether the value lies in an element
    /// of an array that is an object or an array (it has an array membership, in event-ruler's
    /// words).
    Event { field: u32, nested: bool },
}

/// Why a scan stopped before the end.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Not one valid JSON object.
    Invalid,
    /// An object repeats a key a selector depends on; the caller must use the reference reader
    /// (which applies "the last one wins").
    Duplicate,
}

/// The stacks of [`scan`], kept from one event to the next so that a scan allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Stacks {
    nodes: Vec<u32>,
    seen: Vec<u32>,
    open: Vec<u8>,
}

/// Scans `text`, calling `record(reached, value)` for every value a selector or an event pattern
/// path of `trie` reaches. With `members` (the caller has checked that `text` is one valid JSON
/// object and found its top-level members, see [`TopMembers`]), only the values of the members
/// some node reaches are read: the text is taken as checked. With `kept_roots` too, only the
/// members that reach one of those children of the root are read.
pub(crate) fn scan<F>(
    text: &str,
    trie: &Trie,
    stacks: &mut Stacks,
    members: Option<&TopMembers>,
    kept_roots: Option<&Marks>,
    record: F,
) -> Result<(), Stop>
where
    F: FnMut(Reached, &Scalar<'_>),
{
    let mut nodes = std::mem::take(&mut stacks.nodes);
    nodes.clear();
    nodes.push(0);
    nodes.extend(trie.event_root);
    let roots = nodes.len();
    let mut s = Scanner {
        p: Parser::new(text),
        trie,
        record,
        nodes,
        seen: std::mem::take(&mut stacks.seen),
        open: std::mem::take(&mut stacks.open),
        nested: 0,
    };
    s.seen.clear();
    s.open.clear();
    s.p.skip_ws();
    let result = if let Some(members) = members {
        s.root_members(text, roots, members, kept_roots)
    } else if s.p.peek() != Some(b'{') {
        Err(Stop::Invalid)
    } else {
        s.value(0, roots, 0).and_then(|()| {
            s.p.skip_ws();
            if s.p.at_end() {
                Ok(())
            } else {
                Err(Stop::Invalid)
            }
        })
    };
    *stacks = Stacks {
        nodes: s.nodes,
        seen: s.seen,
        open: s.open,
    };
    result
}

/// What the nodes of an object look for in its members ([`Scanner::wanted`]).
struct Wanted {
    bits: u64,
    any: bool,
    seen_start: usize,
}

struct Scanner<'a, 't, F> {
    p: Parser<'a>,
    trie: &'t Trie,
    record: F,
    /// The trie nodes active for the value being read are `nodes[lo..hi]`; children are pushed
    /// above and popped after.
    nodes: Vec<u32>,
    /// Child nodes already met in the objects being read (for duplicate keys).
    seen: Vec<u32>,
    /// Room for the closing brackets of the containers a skipped value holds
    /// ([`crate::json::Parser::skip_value`]).
    open: Vec<u8>,
    /// How many array elements that are objects or arrays the value being read lies in.
    nested: usize,
}

impl<F: FnMut(Reached, &Scalar<'_>)> Scanner<'_, '_, F> {
    fn node(&self, i: usize) -> Option<&crate::compile::program::Node> {
        let id = *self.nodes.get(i)?;
        self.trie.nodes.get(id as usize)
    }

    /// Gives `value` to the nodes `lo..hi` that take values (most nodes of a path take none:
    /// that is checked inline, before the call that gives it).
    #[inline]
    fn record(&mut self, lo: usize, hi: usize, value: &Scalar<'_>) {
        if self.wants_value(lo, hi) {
            self.record_wanted(lo, hi, value);
        }
    }

    #[inline(never)]
    fn record_wanted(&mut self, lo: usize, hi: usize, value: &Scalar<'_>) {
        for i in lo..hi {
            let Some(node) = self.node(i) else { continue };
            let reached = match (node.field, node.event) {
                (Some(field), _) => Reached::Filter(field),
                // An event pattern path holds scalars only.
                (None, Some(_)) if matches!(value, Scalar::Container) => continue,
                (None, Some(field)) => Reached::Event {
                    field,
                    nested: self.nested > 0,
                },
                (None, None) => continue,
            };
            (self.record)(reached, value);
        }
    }

    fn wants_value(&self, lo: usize, hi: usize) -> bool {
        (lo..hi).any(|i| {
            self.node(i)
                .is_some_and(|n| n.field.is_some() || n.event.is_some())
        })
    }

    /// Reads one value for the nodes `lo..hi` at container depth `depth`.
    #[inline]
    fn value(&mut self, lo: usize, hi: usize, depth: usize) -> Result<(), Stop> {
        if lo == hi {
            return self.skip(depth);
        }
        self.p.skip_ws();
        match self.p.peek() {
            Some(b'{') => {
                self.record(lo, hi, &Scalar::Container);
                self.object(lo, hi, depth + 1)
            }
            Some(b'[') => {
                self.record(lo, hi, &Scalar::Container);
                self.array(lo, hi, depth + 1)
            }
            Some(b'"') => {
                if self.wants_value(lo, hi) {
                    let s = self.p.string_cow().map_err(|_| Stop::Invalid)?;
                    self.record_wanted(lo, hi, &Scalar::Str(s));
                } else {
                    self.p.skip_string().map_err(|_| Stop::Invalid)?;
                }
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => {
                let n = self.p.number().map_err(|_| Stop::Invalid)?;
                self.record(lo, hi, &Scalar::Number(n));
                Ok(())
            }
            Some(b't') => self.literal(lo, hi, "true", Scalar::Bool(true)),
            Some(b'f') => self.literal(lo, hi, "false", Scalar::Bool(false)),
            Some(b'n') => self.literal(lo, hi, "null", Scalar::Null),
            _ => Err(Stop::Invalid),
        }
    }

    /// Reads one value no selector reaches into, at container depth `depth`: the syntax is
    /// checked as [`Scanner::value`] checks it (the same depth limit included), without the
    /// trie's bookkeeping or recursion. A string, the most common value, is read inline.
    #[inline]
    fn skip(&mut self, depth: usize) -> Result<(), Stop> {
        self.p.skip_ws();
        if self.p.peek() == Some(b'"') {
            return self.p.skip_string().map_err(|_| Stop::Invalid);
        }
        self.skip_other(depth)
    }

    fn skip_other(&mut self, depth: usize) -> Result<(), Stop> {
        let room = MAX_DEPTH.saturating_sub(depth);
        self.p
            .skip_value(room, &mut self.open)
            .map_err(|_| Stop::Invalid)
    }

    fn literal(
        &mut self,
        lo: usize,
        hi: usize,
        word: &'static str,
        v: Scalar<'_>,
    ) -> Result<(), Stop> {
        self.p.word(word).map_err(|_| Stop::Invalid)?;
        self.record(lo, hi, &v);
        Ok(())
    }

    /// Expects `byte` after blanks.
    fn expect(&mut self, byte: u8) -> Result<(), Stop> {
        self.p.skip_ws();
        if self.p.peek() != Some(byte) {
            return Err(Stop::Invalid);
        }
        self.p.bump();
        Ok(())
    }

    /// After a member or element: `true` for `,` (more follow), `false` for `close`.
    fn next_or_close(&mut self, close: u8) -> Result<bool, Stop> {
        self.p.skip_ws();
        match self.p.peek() {
            Some(b',') => {
                self.p.bump();
                Ok(true)
            }
            Some(b) if b == close => {
                self.p.bump();
                Ok(false)
            }
            _ => Err(Stop::Invalid),
        }
    }

    fn object(&mut self, lo: usize, hi: usize, depth: usize) -> Result<(), Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop::Invalid);
        }
        self.p.bump();
        self.p.skip_ws();
        if self.p.peek() == Some(b'}') {
            self.p.bump();
            return Ok(());
        }
        let wanted = self.wanted(lo, hi);
        let mut keys: Vec<Cow<'_, [u8]>> = Vec::new();
        loop {
            self.p.skip_ws();
            if self.p.peek() != Some(b'"') {
                return Err(Stop::Invalid);
            }
            let key = self.p.key_cow().map_err(|_| Stop::Invalid)?;
            self.expect(b':')?;
            let child_lo = self.nodes.len();
            self.children(lo, hi, &wanted, &key)?;
            if wanted.any {
                keys.push(key);
            }
            // A member no node reaches (most of them) is skipped here, without a call.
            if child_lo == self.nodes.len() {
                self.skip(depth)?;
            } else {
                self.value(child_lo, self.nodes.len(), depth)?;
                self.nodes.truncate(child_lo);
            }
            if !self.next_or_close(b'}')? {
                break;
            }
        }
        self.end_members(&wanted, keys)
    }

    /// The root object of a text whose top-level `members` its reader found (and whose syntax it
    /// checked): [`Scanner::value`] of it for the root nodes `0..hi`, reading only the values of
    /// the members some node reaches.
    fn root_members<'t>(
        &mut self,
        text: &'t str,
        hi: usize,
        members: &TopMembers,
        kept_roots: Option<&Marks>,
    ) -> Result<(), Stop> {
        let lo = 0;
        self.record(lo, hi, &Scalar::Container);
        let wanted = self.wanted(lo, hi);
        let mut keys: Vec<Cow<'t, [u8]>> = Vec::new();
        for (key_start, key_end, value_start) in members.iter() {
            let key = text
                .as_bytes()
                .get(key_start..key_end)
                .ok_or(Stop::Invalid)?;
            let child_lo = self.nodes.len();
            self.children(lo, hi, &wanted, key)?;
            if wanted.any {
                keys.push(Cow::Borrowed(key));
            }
            if let Some(kept) = kept_roots {
                self.keep_nodes(child_lo, |node| kept.contains(node));
            }
            if child_lo < self.nodes.len() {
                self.p.seek(value_start);
                self.value(child_lo, self.nodes.len(), 1)?;
                self.nodes.truncate(child_lo);
            }
        }
        self.end_members(&wanted, keys)
    }

    /// Keeps the nodes from `lo` on that `keep` is true of, in order.
    fn keep_nodes(&mut self, lo: usize, keep: impl Fn(u32) -> bool) {
        let mut kept = lo;
        for i in lo..self.nodes.len() {
            let Some(node) = self.nodes.get(i).copied().filter(|&n| keep(n)) else {
                continue;
            };
            if let Some(slot) = self.nodes.get_mut(kept) {
                *slot = node;
            }
            kept += 1;
        }
        self.nodes.truncate(kept);
    }

    /// What the nodes `lo..hi` look for in the members of an object: the bits of their member
    /// keys (a key with none of them is no node's member), and whether one takes every member.
    /// The start of the object's keys among those seen is kept for [`Scanner::end_members`].
    fn wanted(&self, lo: usize, hi: usize) -> Wanted {
        Wanted {
            bits: (lo..hi)
                .filter_map(|i| self.node(i))
                .fold(0, |bits, n| bits | n.members.bits()),
            any: (lo..hi).any(|i| self.node(i).is_some_and(|n| n.any_member.is_some())),
            seen_start: self.seen.len(),
        }
    }

    /// Pushes the children of the nodes `lo..hi` that the member `key` reaches; a key some
    /// node depends on met a second time in the object is [`Stop::Duplicate`]. (Inlined: it
    /// runs for every key of every object read, and most keys reach nothing.)
    #[inline(always)]
    fn children(&mut self, lo: usize, hi: usize, wanted: &Wanted, key: &[u8]) -> Result<(), Stop> {
        // (Its bit only where some node has members: a field whose value is an object has
        // none.)
        let bit = if wanted.bits == 0 { 0 } else { key_bit(key) };
        if wanted.bits & bit == 0 && !wanted.any {
            return Ok(());
        }
        for i in lo..hi {
            let Some(node) = self.node(i) else { continue };
            let exact = node.members.get_by_bit(key, bit);
            let any = node.any_member;
            if let Some(child) = exact {
                // An event pattern path takes every value of a repeated key.
                if !node.flat {
                    let seen = self.seen.get(wanted.seen_start..).unwrap_or_default();
                    if seen.contains(&child) {
                        return Err(Stop::Duplicate);
                    }
                    self.seen.push(child);
                }
                self.nodes.push(child);
            }
            if let Some(child) = any {
                self.nodes.push(child);
            }
        }
        Ok(())
    }

    /// After an object's members: forgets the children seen in it, and with a node that takes
    /// every member, a key met twice is [`Stop::Duplicate`].
    fn end_members(&mut self, wanted: &Wanted, mut keys: Vec<Cow<'_, [u8]>>) -> Result<(), Stop> {
        self.seen.truncate(wanted.seen_start);
        if wanted.any {
            keys.sort_unstable();
            if keys.windows(2).any(|w| w.first() == w.get(1)) {
                return Err(Stop::Duplicate);
            }
        }
        Ok(())
    }

    fn array(&mut self, lo: usize, hi: usize, depth: usize) -> Result<(), Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop::Invalid);
        }
        self.p.bump();
        self.p.skip_ws();
        if self.p.peek() == Some(b']') {
            self.p.bump();
            return Ok(());
        }
        let tracked = (lo..hi).any(|i| self.node(i).is_some_and(|n| n.has_indices() || n.flat));
        let mut index = 0usize;
        loop {
            let child_lo = self.nodes.len();
            if tracked {
                for i in lo..hi {
                    let Some(node) = self.node(i) else { continue };
                    let exact = node
                        .indices
                        .iter()
                        .find(|(j, _)| *j == index)
                        .map(|(_, c)| *c);
                    let any = node.any_index;
                    // An event pattern path reads an array's elements at its own node.
                    let flat = if node.flat {
                        self.nodes.get(i).copied()
                    } else {
                        None
                    };
                    self.nodes.extend(exact);
                    self.nodes.extend(any);
                    self.nodes.extend(flat);
                }
            }
            let child_hi = self.nodes.len();
            self.p.skip_ws();
            let nested = usize::from(matches!(self.p.peek(), Some(b'{' | b'[')));
            self.nested += nested;
            self.value(child_lo, child_hi, depth)?;
            self.nested -= nested;
            self.nodes.truncate(child_lo);
            index += 1;
            if !self.next_or_close(b']')? {
                return Ok(());
            }
        }
    }
}
