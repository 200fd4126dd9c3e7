//! Puts two changes in a chosen order on PostgreSQL. A gate holds a lock on this test's
//! `audit_log`, so every change stops at its first audit row, after its own reads, writes and
//! row locks; the test starts the first change, waits until it is stopped there, starts the
//! second, waits until that one waits too (on the first's row locks, or on the gate), then opens
//! the gate. What the second saw is then exactly what the rules make it see.
//!
//! SQLite runs one writer at a time, so there the two changes simply run at once.

use crate::helpers::{Backend, TestApp};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement, TransactionTrait};
use std::future::Future;
use std::time::Duration;

/// The lock on `audit_log`, while held.
pub struct Gate {
    txn: DatabaseTransaction,
}

impl Gate {
    /// Closes the gate (PostgreSQL); `None` on SQLite.
    pub async fn close(app: &TestApp) -> Option<Gate> {
        if app.backend == Backend::Sqlite {
            return None;
        }
        let txn = app.state.db.begin().await.expect("begin");
        txn.execute_unprepared("LOCK TABLE audit_log IN SHARE MODE").await.expect("lock audit_log");
        Some(Gate { txn })
    }

    /// Lets every stopped change go on.
    pub async fn open(self) {
        self.txn.commit().await.expect("commit");
    }
}

/// Waits until `n` sessions of this test's schema wait for a lock.
pub async fn waiting(app: &TestApp, n: i64) {
    let sql = "SELECT count(DISTINCT w.pid)::bigint AS n FROM pg_locks w \
               WHERE NOT w.granted AND w.pid IN (\
                 SELECT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                 WHERE c.relnamespace = current_schema()::regnamespace AND l.pid <> pg_backend_pid())";
    for _ in 0..3000 {
        let row = app
            .state
            .db
            .query_one_raw(Statement::from_string(sea_orm::DbBackend::Postgres, sql))
            .await
            .expect("pg_locks")
            .expect("a row");
        if row.try_get::<i64>("", "n").expect("n") >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("fewer than {n} changes of this test ever waited for a lock");
}

/// Runs `first`, then `second` once `first` is stopped at the gate, then opens it (PostgreSQL);
/// on SQLite runs both at once. Returns both results.
pub async fn in_order<A, B>(app: &TestApp, first: A, second: B) -> (A::Output, B::Output)
where
    A: Future,
    B: Future,
{
    match Gate::close(app).await {
        None => tokio::join!(first, second),
        Some(gate) => {
            let (a, b, ()) = tokio::join!(
                first,
                async {
                    waiting(app, 1).await;
                    second.await
                },
                async {
                    waiting(app, 2).await;
                    gate.open().await;
                },
            );
            (a, b)
        }
    }
}
