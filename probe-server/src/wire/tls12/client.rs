//! The TLS 1.2 client: a full or abbreviated handshake to the server's Finished (checked),
//! and a renegotiation inside the encrypted connection.
//!
//! It speaks only what the tests that need a finished handshake need (resumption by session
//! id and ticket, Extended Master Secret, RFC 5746 renegotiation); it never sends
//! application data. The state machine is strict: a message out of order, a Finished that
//! does not verify, a renegotiation_info that does not carry both verify_data, all end the
//! handshake with a typed error.

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::Tls12Error;
use super::keys::{self, KeyBlock, RecordCipher, VERIFY_DATA_LEN};
use super::messages::{self, EcdheServerKeyExchange, LeafKey, NewSessionTicket};
use super::suites::{self, KeyExchange, Suite};
use crate::wire::client_hello::{ClientHello, Padding, random_bytes};
use crate::wire::exchange::{Deadline, next_record};
use crate::wire::extensions::ClientExtension;
use crate::wire::handshake::{
    HandshakeMessage, HandshakeReassembler, HandshakeType, encode_handshake,
};
use crate::wire::record::{ContentType, MAX_PLAINTEXT, RecordReader};
use crate::wire::server::{Alert, CertificateChain, ServerHello, alert};

/// The most records read while waiting for one message (bounds a server that streams
/// application data or empty records at us).
const MAX_RECORDS_PER_MESSAGE: usize = 64;

/// A session to resume, as a full handshake left it.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The suite it was made with.
    pub suite: u16,
    /// The master secret.
    pub master_secret: Vec<u8>,
    /// The server's session id (empty when it gave none).
    pub session_id: Vec<u8>,
    /// The ticket the server issued, if any.
    pub ticket: Option<Vec<u8>>,
    /// The session was made with the Extended Master Secret.
    pub extended_master_secret: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("suite", &self.suite)
            .field("session_id", &self.session_id.len())
            .field("ticket", &self.ticket.as_ref().map(Vec::len))
            .field("extended_master_secret", &self.extended_master_secret)
            .finish_non_exhaustive()
    }
}

/// How to resume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Offer the session's id (no ticket).
    BySessionId,
    /// Offer the session's ticket (with a fresh session id, RFC 5077 3.4).
    ByTicket,
}

/// What the hello offers.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// SNI.
    pub server_name: Option<String>,
    /// The suites, a subset of [`suites::SUITES`].
    pub suites: Vec<u16>,
    /// Offer the Extended Master Secret.
    pub extended_master_secret: bool,
    /// Offer the session_ticket extension (empty unless resuming by ticket).
    pub session_ticket: bool,
    /// Offer renegotiation_info (RFC 5746); on a renegotiation it carries the verify_data.
    pub renegotiation_info: bool,
    /// Resume this session.
    pub resume: Option<(Session, Resume)>,
}

impl ClientConfig {
    /// Every suite, EMS, tickets, renegotiation_info: what a modern client offers.
    pub fn new(server_name: Option<String>) -> Self {
        Self {
            server_name,
            suites: suites::ids(),
            extended_master_secret: true,
            session_ticket: true,
            renegotiation_info: true,
            resume: None,
        }
    }
}

/// What a completed handshake showed.
#[derive(Clone, Debug)]
pub struct Handshake {
    /// The ServerHello.
    pub server_hello: ServerHello,
    /// The server resumed the offered session (abbreviated handshake, Finished checked).
    pub resumed: bool,
    /// Both sides used the Extended Master Secret.
    pub extended_master_secret: bool,
    /// The NewSessionTicket the server sent, if any.
    pub ticket: Option<NewSessionTicket>,
    /// The session, to resume later.
    pub session: Session,
    /// The session id the hello offered.
    pub offered_session_id: Vec<u8>,
}

/// How the server answered a client-initiated renegotiation.
#[derive(Clone, Debug)]
pub enum Renegotiation {
    /// The renegotiation completed (its Finished checked).
    Completed(Box<Handshake>),
    /// The server refused: what it did (a no_renegotiation warning, a fatal alert, a close).
    Refused(String),
}

/// An established TLS 1.2 connection.
#[derive(Debug)]
pub struct Connection<S> {
    stream: S,
    records: RecordReader,
    handshake: HandshakeReassembler,
    read: Option<RecordCipher>,
    write: Option<RecordCipher>,
    client_verify_data: Vec<u8>,
    server_verify_data: Vec<u8>,
    deadline: Deadline,
}

enum Incoming {
    Handshake(HandshakeMessage),
    ChangeCipherSpec,
    Warning(Alert),
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Runs a handshake on `stream` (full, or abbreviated when the server resumes the
    /// offered session), every read bounded by `deadline`.
    pub async fn connect(
        stream: S,
        config: &ClientConfig,
        deadline: Deadline,
    ) -> Result<(Self, Handshake), Tls12Error> {
        let mut connection = Self {
            stream,
            records: RecordReader::new(),
            handshake: HandshakeReassembler::default(),
            read: None,
            write: None,
            client_verify_data: Vec::new(),
            server_verify_data: Vec::new(),
            deadline,
        };
        let handshake = connection.run(config, false).await?;
        Ok((connection, handshake))
    }

    /// The client's and the server's verify_data of the last handshake.
    pub fn verify_data(&self) -> (&[u8], &[u8]) {
        (&self.client_verify_data, &self.server_verify_data)
    }

    /// Asks for a new handshake inside the encrypted connection (a renegotiating
    /// ClientHello; with RFC 5746's renegotiation_info carrying the client verify_data when
    /// `config.renegotiation_info`). The server may complete it or refuse.
    pub async fn renegotiate(
        &mut self,
        config: &ClientConfig,
    ) -> Result<Renegotiation, Tls12Error> {
        match self.run(config, true).await {
            Ok(handshake) => Ok(Renegotiation::Completed(Box::new(handshake))),
            Err(Tls12Error::RenegotiationRefused(how)) => Ok(Renegotiation::Refused(how)),
            Err(Tls12Error::Alert(a)) => Ok(Renegotiation::Refused(format!(
                "it answered the renegotiating ClientHello with the alert {a}"
            ))),
            Err(Tls12Error::Closed(_)) => Ok(Renegotiation::Refused(
                "it closed the connection on the renegotiating ClientHello".into(),
            )),
            Err(e) => Err(e),
        }
    }

    /// Sends close_notify (best effort) and drops the connection.
    pub async fn close(mut self) {
        let _ = self
            .send(ContentType::Alert, &[1, alert::CLOSE_NOTIFY], 0x0303)
            .await;
        let _ = self.stream.shutdown().await;
    }

    async fn send(
        &mut self,
        content_type: ContentType,
        payload: &[u8],
        version: u16,
    ) -> Result<(), Tls12Error> {
        let mut out = Vec::new();
        let mut chunks: Vec<&[u8]> = payload.chunks(MAX_PLAINTEXT).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        for chunk in chunks {
            let body = match self.write.as_mut() {
                Some(cipher) => cipher.seal(content_type.to_u8(), version, chunk)?,
                None => chunk.to_vec(),
            };
            out.push(content_type.to_u8());
            out.extend(version.to_be_bytes());
            out.extend(
                u16::try_from(body.len())
                    .map_err(|_| Tls12Error::Crypto("record too long"))?
                    .to_be_bytes(),
            );
            out.extend(body);
        }
        let write = async {
            self.stream.write_all(&out).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.deadline.per_read(), write).await {
            Ok(result) => result.map_err(|e| Tls12Error::Wire(e.into())),
            Err(_) => Err(Tls12Error::Closed("the write to complete")),
        }
    }

    async fn next(&mut self, waiting_for: &'static str) -> Result<Incoming, Tls12Error> {
        for _ in 0..MAX_RECORDS_PER_MESSAGE {
            if let Some(message) = self.handshake.next_message()? {
                return Ok(Incoming::Handshake(message));
            }
            let Some(record) =
                next_record(&mut self.stream, &mut self.records, self.deadline).await?
            else {
                return Err(Tls12Error::Closed(waiting_for));
            };
            let payload = match self.read.as_mut() {
                Some(cipher) => {
                    cipher.open(record.content_type.to_u8(), record.version, &record.payload)?
                }
                None => record.payload,
            };
            match record.content_type {
                ContentType::Handshake => self.handshake.push(&payload)?,
                ContentType::ChangeCipherSpec => {
                    if payload != [1] || !self.handshake.is_empty() {
                        return Err(Tls12Error::Protocol(
                            "a malformed or misplaced ChangeCipherSpec".into(),
                        ));
                    }
                    return Ok(Incoming::ChangeCipherSpec);
                }
                ContentType::Alert => {
                    let alert = Alert::read(&payload)?;
                    if alert.is_fatal() {
                        return Err(Tls12Error::Alert(alert));
                    }
                    if alert.description == alert::CLOSE_NOTIFY {
                        return Err(Tls12Error::Closed(waiting_for));
                    }
                    return Ok(Incoming::Warning(alert));
                }
                // Application data or heartbeats are not what we wait for: skip them.
                _ => {}
            }
        }
        Err(Tls12Error::Protocol(format!(
            "more than {MAX_RECORDS_PER_MESSAGE} records without {waiting_for}"
        )))
    }

    /// The next handshake message other than HelloRequest (which is outside the
    /// transcript); a warning alert here ends the handshake, except where the caller wants it.
    async fn message(&mut self, waiting_for: &'static str) -> Result<HandshakeMessage, Tls12Error> {
        loop {
            match self.next(waiting_for).await? {
                Incoming::Handshake(m) if m.typ == HandshakeType::HelloRequest => {}
                Incoming::Handshake(m) => return Ok(m),
                Incoming::ChangeCipherSpec => {
                    return Err(Tls12Error::Protocol(format!(
                        "a ChangeCipherSpec while waiting for {waiting_for}"
                    )));
                }
                Incoming::Warning(a) => {
                    return Err(Tls12Error::Protocol(format!(
                        "the warning alert {a} while waiting for {waiting_for}"
                    )));
                }
            }
        }
    }

    async fn change_cipher_spec(&mut self) -> Result<(), Tls12Error> {
        match self.next("ChangeCipherSpec").await? {
            Incoming::ChangeCipherSpec => Ok(()),
            Incoming::Handshake(m) => Err(unexpected("ChangeCipherSpec", &m)),
            Incoming::Warning(a) => Err(Tls12Error::Protocol(format!(
                "the warning alert {a} instead of ChangeCipherSpec"
            ))),
        }
    }

    fn hello(&self, config: &ClientConfig, renegotiating: bool) -> ClientHello {
        let session_id = match &config.resume {
            Some((session, Resume::BySessionId)) => session.session_id.clone(),
            Some((_, Resume::ByTicket)) => random_bytes().to_vec(),
            None => Vec::new(),
        };
        let mut extensions = Vec::new();
        if let Some(name) = &config.server_name {
            extensions.push(ClientExtension::ServerName(name.clone()));
        }
        extensions.push(ClientExtension::SupportedGroups(suites::GROUPS.to_vec()));
        extensions.push(ClientExtension::EcPointFormats(vec![0]));
        extensions.push(ClientExtension::SignatureAlgorithms(
            suites::SIGNATURE_SCHEMES.to_vec(),
        ));
        if config.renegotiation_info {
            let data = if renegotiating {
                self.client_verify_data.clone()
            } else {
                Vec::new()
            };
            extensions.push(ClientExtension::RenegotiationInfo(data));
        }
        if config.session_ticket {
            let ticket = match &config.resume {
                Some((session, Resume::ByTicket)) => session.ticket.clone().unwrap_or_default(),
                _ => Vec::new(),
            };
            extensions.push(ClientExtension::SessionTicket(ticket));
        }
        if config.extended_master_secret {
            extensions.push(ClientExtension::ExtendedMasterSecret);
        }
        ClientHello {
            record_version: if renegotiating { 0x0303 } else { 0x0301 },
            legacy_version: 0x0303,
            random: random_bytes(),
            session_id,
            cipher_suites: config.suites.clone(),
            compression_methods: vec![0],
            extensions,
            omit_empty_extensions: false,
            padding: Padding::F5Workaround,
            record_fragment: MAX_PLAINTEXT,
        }
    }

    async fn run(
        &mut self,
        config: &ClientConfig,
        renegotiating: bool,
    ) -> Result<Handshake, Tls12Error> {
        let hello = self.hello(config, renegotiating);
        let mut transcript = hello.encode_handshake();
        self.send(ContentType::Handshake, &transcript, hello.record_version)
            .await?;

        // ServerHello (a refusal of a renegotiation comes here).
        let message = loop {
            match self.next("ServerHello").await? {
                Incoming::Handshake(m) if m.typ == HandshakeType::HelloRequest => {}
                Incoming::Handshake(m) => break m,
                Incoming::Warning(a) if renegotiating => {
                    return Err(Tls12Error::RenegotiationRefused(format!(
                        "it answered the renegotiating ClientHello with the warning alert {a}"
                    )));
                }
                Incoming::Warning(a) => {
                    return Err(Tls12Error::Protocol(format!(
                        "the warning alert {a} instead of a ServerHello"
                    )));
                }
                Incoming::ChangeCipherSpec => {
                    return Err(Tls12Error::Protocol(
                        "a ChangeCipherSpec instead of a ServerHello".into(),
                    ));
                }
            }
        };
        if message.typ != HandshakeType::ServerHello {
            return Err(unexpected("ServerHello", &message));
        }
        let server_hello = ServerHello::read(&message.body)?;
        transcript.extend(message.encode());
        if server_hello.version() != 0x0303 || server_hello.is_hello_retry_request {
            return Err(Tls12Error::Unsupported(format!(
                "the server answered with version 0x{:04x}, not TLS 1.2",
                server_hello.version()
            )));
        }
        let suite = suites::by_id(server_hello.cipher_suite)
            .filter(|s| config.suites.contains(&s.id))
            .ok_or_else(|| {
                Tls12Error::Protocol(format!(
                    "the server chose suite 0x{:04x}, which was not offered",
                    server_hello.cipher_suite
                ))
            })?;
        if server_hello.compression_method != 0 {
            return Err(Tls12Error::Protocol("the server chose compression".into()));
        }
        self.check_renegotiation_info(config, renegotiating, &server_hello)?;
        let extended_master_secret =
            config.extended_master_secret && server_hello.extended_master_secret;
        let resumed = match &config.resume {
            Some((session, _)) => {
                !hello.session_id.is_empty() && server_hello.session_id == hello.session_id && {
                    if session.suite != suite.id
                        || session.extended_master_secret != extended_master_secret
                    {
                        return Err(Tls12Error::Protocol(
                            "the server resumed with another suite or EMS setting".into(),
                        ));
                    }
                    true
                }
            }
            None => false,
        };
        if resumed {
            let Some((session, _)) = &config.resume else {
                return Err(Tls12Error::Protocol("resumed without a session".into()));
            };
            return self
                .abbreviated(
                    config,
                    hello,
                    server_hello,
                    suite,
                    session.clone(),
                    transcript,
                )
                .await;
        }
        self.full(
            config,
            hello,
            server_hello,
            suite,
            extended_master_secret,
            transcript,
        )
        .await
    }

    fn check_renegotiation_info(
        &self,
        config: &ClientConfig,
        renegotiating: bool,
        server_hello: &ServerHello,
    ) -> Result<(), Tls12Error> {
        let Some(info) = &server_hello.renegotiation_info else {
            if renegotiating && config.renegotiation_info {
                // RFC 5746 3.5: a server that supported it must carry it in a renegotiation.
                return Err(Tls12Error::BadRenegotiationInfo(
                    "missing from the renegotiation's ServerHello".into(),
                ));
            }
            return Ok(());
        };
        if !config.renegotiation_info {
            // RFC 5746 3.4: with the SCSV or the extension offered, a server may answer;
            // without either, it must not.
            return Err(Tls12Error::BadRenegotiationInfo(
                "renegotiation_info answered although not offered".into(),
            ));
        }
        let expected = if renegotiating {
            [self.client_verify_data.as_slice(), &self.server_verify_data].concat()
        } else {
            Vec::new()
        };
        if *info != expected {
            return Err(Tls12Error::BadRenegotiationInfo(format!(
                "{} bytes where {} were expected (the two verify_data)",
                info.len(),
                expected.len()
            )));
        }
        Ok(())
    }

    async fn abbreviated(
        &mut self,
        config: &ClientConfig,
        hello: ClientHello,
        server_hello: ServerHello,
        suite: &'static Suite,
        mut session: Session,
        mut transcript: Vec<u8>,
    ) -> Result<Handshake, Tls12Error> {
        let block = KeyBlock::derive(
            suite,
            &session.master_secret,
            &hello.random,
            &server_hello.random,
        )?;
        let mut ticket = None;
        if config.session_ticket && server_hello.session_ticket {
            let m = self.message("NewSessionTicket").await?;
            ticket = Some(self.new_session_ticket(&m, &mut transcript)?);
        }
        self.change_cipher_spec().await?;
        self.read = Some(block.server);
        let server_verify = self
            .server_finished(suite, &session.master_secret, &mut transcript)
            .await?;
        self.send(ContentType::ChangeCipherSpec, &[1], 0x0303)
            .await?;
        self.write = Some(block.client);
        let client_verify = self
            .client_finished(suite, &session.master_secret, &mut transcript)
            .await?;
        self.client_verify_data = client_verify;
        self.server_verify_data = server_verify;
        if let Some(t) = &ticket {
            session.ticket = Some(t.ticket.clone());
        }
        Ok(Handshake {
            extended_master_secret: session.extended_master_secret,
            server_hello,
            resumed: true,
            ticket,
            session,
            offered_session_id: hello.session_id,
        })
    }

    async fn full(
        &mut self,
        config: &ClientConfig,
        hello: ClientHello,
        server_hello: ServerHello,
        suite: &'static Suite,
        extended_master_secret: bool,
        mut transcript: Vec<u8>,
    ) -> Result<Handshake, Tls12Error> {
        let m = self.message("Certificate").await?;
        if m.typ != HandshakeType::Certificate {
            return Err(unexpected("Certificate", &m));
        }
        let chain = CertificateChain::read(&m.body, Default::default())?;
        transcript.extend(m.encode());
        let leaf = LeafKey::from_certificate(
            chain
                .leaf()
                .ok_or_else(|| Tls12Error::Certificate("an empty certificate list".into()))?,
        )?;
        let mut ske = None;
        let mut certificate_request = false;
        // Bounded: each message type at most once, in order, then ServerHelloDone.
        loop {
            let m = self.message("ServerHelloDone").await?;
            match m.typ {
                HandshakeType::CertificateStatus if ske.is_none() && !certificate_request => {}
                HandshakeType::ServerKeyExchange
                    if ske.is_none() && !certificate_request && suite.kx == KeyExchange::Ecdhe =>
                {
                    let parsed = EcdheServerKeyExchange::read(&m.body)?;
                    messages::verify_server_key_exchange(
                        &parsed,
                        &leaf,
                        &hello.random,
                        &server_hello.random,
                    )?;
                    ske = Some(parsed);
                }
                HandshakeType::CertificateRequest if !certificate_request => {
                    certificate_request = true;
                }
                HandshakeType::ServerHelloDone => {
                    crate::wire::server::read_server_hello_done(&m.body)?;
                    transcript.extend(m.encode());
                    break;
                }
                _ => return Err(unexpected("ServerHelloDone", &m)),
            }
            transcript.extend(m.encode());
        }
        let (key_exchange, pre_master) = match (suite.kx, &ske) {
            (KeyExchange::Ecdhe, Some(ske)) => {
                messages::ecdhe_client_key_exchange(ske.group, &ske.public)?
            }
            (KeyExchange::Ecdhe, None) => {
                return Err(Tls12Error::Protocol(
                    "an ECDHE suite without a ServerKeyExchange".into(),
                ));
            }
            (KeyExchange::Rsa, _) => messages::rsa_client_key_exchange(&leaf)?,
        };
        let mut flight = Vec::new();
        if certificate_request {
            // No client certificate: an empty list (RFC 5246 7.4.6).
            let empty = encode_handshake(HandshakeType::Certificate, &[0, 0, 0]);
            transcript.extend(&empty);
            flight.extend(empty);
        }
        let cke = encode_handshake(HandshakeType::ClientKeyExchange, &key_exchange);
        transcript.extend(&cke);
        flight.extend(cke);
        let session_hash =
            extended_master_secret.then(|| keys::transcript_hash(suite, &transcript));
        let master = keys::master_secret(
            suite,
            &pre_master,
            &hello.random,
            &server_hello.random,
            session_hash.as_deref(),
        )?;
        let KeyBlock {
            client: client_cipher,
            server: server_cipher,
        } = KeyBlock::derive(suite, &master, &hello.random, &server_hello.random)?;
        self.send(ContentType::Handshake, &flight, 0x0303).await?;
        self.send(ContentType::ChangeCipherSpec, &[1], 0x0303)
            .await?;
        self.write = Some(client_cipher);
        let client_verify = self
            .client_finished(suite, &master, &mut transcript)
            .await?;

        let mut ticket = None;
        if config.session_ticket && server_hello.session_ticket {
            let m = self.message("NewSessionTicket").await?;
            ticket = Some(self.new_session_ticket(&m, &mut transcript)?);
        }
        self.change_cipher_spec().await?;
        self.read = Some(server_cipher);
        let server_verify = self
            .server_finished(suite, &master, &mut transcript)
            .await?;
        self.client_verify_data = client_verify;
        self.server_verify_data = server_verify;
        Ok(Handshake {
            extended_master_secret,
            session: Session {
                suite: suite.id,
                master_secret: master,
                session_id: server_hello.session_id.clone(),
                ticket: ticket.as_ref().map(|t| t.ticket.clone()),
                extended_master_secret,
            },
            server_hello,
            resumed: false,
            ticket,
            offered_session_id: hello.session_id,
        })
    }

    fn new_session_ticket(
        &self,
        m: &HandshakeMessage,
        transcript: &mut Vec<u8>,
    ) -> Result<NewSessionTicket, Tls12Error> {
        if m.typ != HandshakeType::NewSessionTicket {
            return Err(unexpected("NewSessionTicket", m));
        }
        let ticket = NewSessionTicket::read(&m.body)?;
        transcript.extend(m.encode());
        Ok(ticket)
    }

    async fn client_finished(
        &mut self,
        suite: &Suite,
        master: &[u8],
        transcript: &mut Vec<u8>,
    ) -> Result<Vec<u8>, Tls12Error> {
        let verify = keys::verify_data(suite, master, b"client finished", transcript)?;
        let finished = encode_handshake(HandshakeType::Finished, &verify);
        transcript.extend(&finished);
        self.send(ContentType::Handshake, &finished, 0x0303).await?;
        Ok(verify)
    }

    async fn server_finished(
        &mut self,
        suite: &Suite,
        master: &[u8],
        transcript: &mut Vec<u8>,
    ) -> Result<Vec<u8>, Tls12Error> {
        let expected = keys::verify_data(suite, master, b"server finished", transcript)?;
        let m = self.message("Finished").await?;
        if m.typ != HandshakeType::Finished {
            return Err(unexpected("Finished", &m));
        }
        let got = messages::read_finished(&m.body, VERIFY_DATA_LEN)?;
        if aws_lc_rs::constant_time::verify_slices_are_equal(got, &expected).is_err() {
            return Err(Tls12Error::BadFinished);
        }
        transcript.extend(m.encode());
        Ok(expected)
    }
}

fn unexpected(expected: &'static str, got: &HandshakeMessage) -> Tls12Error {
    Tls12Error::Wire(crate::wire::WireError::UnexpectedMessage {
        expected,
        got: format!("{:?}", got.typ),
    })
}
