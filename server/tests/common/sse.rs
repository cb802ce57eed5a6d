//! A Server-Sent Events reader for tests, over reqwest: messages (`id`,
//! `event`, `data`) and comments as they arrive, parsed as the
//! specification says (lines, blank line ends a message).

use std::collections::VecDeque;
use std::time::Duration;

/// What arrived on a stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrived {
    /// A message.
    Message { id: Option<String>, event: Option<String>, data: String },
    /// A comment line (keep-alive).
    Comment(String),
}

/// An open stream.
pub struct SseStream {
    response: reqwest::Response,
    buffer: String,
    ready: VecDeque<Arrived>,
    pending: (Option<String>, Option<String>, Vec<String>),
}

impl SseStream {
    /// Opens `url`; `headers` as given. Answers the stream, or the refusal
    /// (status and body) when it is not `200 text/event-stream`.
    pub async fn open(
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<(Self, reqwest::header::HeaderMap), (u16, String)> {
        let client = reqwest::Client::new();
        let mut request = client.get(url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.map_err(|e| (0, e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            let body = response.text().await.unwrap_or_default();
            return Err((status, body));
        }
        let headers = response.headers().clone();
        Ok((Self { response, buffer: String::new(), ready: VecDeque::new(), pending: Default::default() }, headers))
    }

    /// The next message or comment within `wait`; `None` on timeout or
    /// when the stream ended (see [`Self::ended`]).
    pub async fn next(&mut self, wait: Duration) -> Option<Arrived> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(a) = self.ready.pop_front() {
                return Some(a);
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = self.buffer.find('\n') {
                let line: String = self.buffer.drain(..=end).collect();
                self.line(line.trim_end_matches(['\n', '\r']));
            }
        }
    }

    /// The next message (comments skipped) within `wait`.
    pub async fn message(&mut self, wait: Duration) -> Option<(String, String, serde_json::Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await? {
                Arrived::Message { id, event, data } => {
                    let json = serde_json::from_str(&data).expect("data is JSON");
                    return Some((id.unwrap_or_default(), event.unwrap_or_default(), json));
                }
                Arrived::Comment(_) => {}
            }
        }
    }

    /// Whether the server ended the stream within `wait`.
    pub async fn ended(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(None)) => return true,
                Ok(Ok(Some(_))) => continue,
                // A connection closed without the last chunk: not clean.
                Ok(Err(_)) | Err(_) => return false,
            }
        }
    }

    fn line(&mut self, line: &str) {
        if line.is_empty() {
            let (id, event, data) = std::mem::take(&mut self.pending);
            if !data.is_empty() || id.is_some() || event.is_some() {
                self.ready.push_back(Arrived::Message { id, event, data: data.join("\n") });
            }
            return;
        }
        if let Some(comment) = line.strip_prefix(':') {
            self.ready.push_back(Arrived::Comment(comment.trim().to_owned()));
            return;
        }
        let (field, value) = line.split_once(':').map_or((line, ""), |(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)));
        match field {
            "id" => self.pending.0 = Some(value.to_owned()),
            "event" => self.pending.1 = Some(value.to_owned()),
            "data" => self.pending.2.push(value.to_owned()),
            _ => {}
        }
    }
}
