//! An SMTP receiver in the test's process: enough of RFC 5321 for lettre over plain TCP on
//! loopback (no STARTTLS, no AUTH), keeping every message it accepts so tests read what a
//! shopper would get, and able to refuse the next messages with a chosen reply for retry tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// One accepted message: its envelope's recipients and its data as sent (dot-stuffing undone).
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("the message parses")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().expect("a subject").to_owned()
    }

    /// The text/plain part, decoded, with SMTP's CRLF line breaks back to LF.
    pub fn text(&self) -> String {
        let message = self.parsed();
        let text = message.body_text(0).expect("a text/plain part");
        text.replace("\r\n", "\n")
    }

    /// The text/html part, decoded, with SMTP's CRLF line breaks back to LF.
    pub fn html(&self) -> String {
        let message = self.parsed();
        let html = message.body_html(0).expect("a text/html part");
        html.replace("\r\n", "\n")
    }
}

/// What the connections share with the test.
struct Shared {
    received: watch::Sender<Vec<Received>>,
    /// How many DATA commands are still to be refused, and with which reply code.
    refuse: Mutex<(usize, u16)>,
}

pub struct SmtpReceiver {
    /// `smtp://127.0.0.1:PORT`, for `Mailer::from_settings`.
    pub url: String,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl SmtpReceiver {
    pub async fn start() -> SmtpReceiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let port = listener.local_addr().expect("the bound address").port();
        let shared = Arc::new(Shared {
            received: watch::Sender::new(Vec::new()),
            refuse: Mutex::new((0, 0)),
        });
        let accept = tokio::spawn({
            let shared = Arc::clone(&shared);
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(session(stream, Arc::clone(&shared)));
                }
            }
        });
        SmtpReceiver {
            url: format!("smtp://127.0.0.1:{port}"),
            shared,
            accept,
        }
    }

    /// Answers the next `n` DATA commands with `code` (451: try later; 550: refused).
    pub fn fail_next(&self, n: usize, code: u16) {
        *self.shared.refuse.lock().unwrap() = (n, code);
    }

    /// What arrived so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.borrow().clone()
    }

    /// Waits until `count` messages have arrived and returns them all; panics after `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let mut changes = self.shared.received.subscribe();
        match tokio::time::timeout(timeout, changes.wait_for(|all| all.len() >= count)).await {
            Ok(Ok(all)) => all.clone(),
            _ => panic!(
                "{count} message(s) expected within {timeout:?}, {} arrived",
                self.received().len()
            ),
        }
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// One client connection, command by command, until QUIT or the client goes away.
async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 refund-test ESMTP\r\n").await?;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end();
        let verb = command
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" | "HELO" => "250 refund-test".to_owned(),
            "MAIL" | "RSET" => {
                to.clear();
                "250 OK".to_owned()
            }
            "RCPT" => {
                let address = command
                    .split_once('<')
                    .and_then(|(_, rest)| rest.split_once('>'))
                    .map(|(address, _)| address.to_owned());
                match address {
                    Some(address) => {
                        to.push(address);
                        "250 OK".to_owned()
                    }
                    None => "501 Syntax: RCPT TO:<address>".to_owned(),
                }
            }
            "DATA" if to.is_empty() => "503 RCPT first".to_owned(),
            "DATA" => {
                let refused = {
                    let mut refuse = shared.refuse.lock().unwrap();
                    (refuse.0 > 0).then(|| {
                        refuse.0 -= 1;
                        refuse.1
                    })
                };
                match refused {
                    Some(code) => format!("{code} refused as the test asked"),
                    None => {
                        write
                            .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                            .await?;
                        let data = read_data(&mut read).await?;
                        let message = Received {
                            to: std::mem::take(&mut to),
                            data,
                        };
                        shared.received.send_modify(|all| all.push(message));
                        "250 OK queued".to_owned()
                    }
                }
            }
            "NOOP" => "250 OK".to_owned(),
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 Command not implemented".to_owned(),
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

/// The lines after DATA up to the lone `.`, with the leading dot of stuffed lines removed.
async fn read_data(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" {
            return Ok(data);
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}
