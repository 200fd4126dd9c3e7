//! Sending notifications out of the application (e-mail, SMS). The server holds one
//! [`Outbound`] in its state and hands it every notification it creates; the default
//! [`LogOutbound`] only writes them to the log, so a deployment plugs in a real gateway by
//! implementing the trait.

use uuid::Uuid;

/// Who a message goes to: the user, and how to reach them when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: Uuid,
    pub username: String,
    /// A mobile number for SMS, when the user gave one.
    pub phone: Option<String>,
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    pub recipient: Recipient,
    pub subject: String,
    pub body: String,
}

/// A way out (e-mail, SMS gateway). Failures are logged by the caller, never fatal: the in-app
/// notification is already stored.
#[async_trait::async_trait]
pub trait Outbound: Send + Sync {
    /// Sends one message.
    async fn send(&self, message: &OutboundMessage) -> Result<(), String>;
}

/// The default: a log line per message (no personal contact data in the log).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogOutbound;

#[async_trait::async_trait]
impl Outbound for LogOutbound {
    async fn send(&self, message: &OutboundMessage) -> Result<(), String> {
        tracing::info!(
            recipient = %message.recipient.user_id,
            subject = %message.subject,
            body = %message.body,
            "outbound message (log only)"
        );
        Ok(())
    }
}
