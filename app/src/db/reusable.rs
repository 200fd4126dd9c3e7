//! A statement whose SQL text is written once and only re-bound per call: for a hot path that
//! asks the same question with different values (the field look-up), building the statement
//! with the query builder on every request costs more than binding its values.

use sea_orm::sea_query::SelectStatement;
use sea_orm::{DbBackend, Statement, Value, Values};

/// The text of a statement for one backend, and where each of its `N` parameters goes among its
/// bound values (every other value is a constant of the statement).
#[derive(Debug, Clone)]
pub struct Reusable<const N: usize> {
    backend: DbBackend,
    sql: String,
    values: Vec<Value>,
    slots: Vec<(usize, usize)>,
}

impl<const N: usize> Reusable<N> {
    /// Builds the statement twice, with the stand-ins `a` and then `b` (each parameter's two
    /// stand-ins must differ, and differ from every other value of the statement). `None` when
    /// the two texts differ or a bound value changed that is not a parameter's stand-in (a
    /// value derived from a parameter): such a statement must be built for every call.
    pub fn new(
        backend: DbBackend,
        build: impl Fn(&[Value; N]) -> SelectStatement,
        a: [Value; N],
        b: [Value; N],
    ) -> Option<Self> {
        let first = backend.build(&build(&a));
        let second = backend.build(&build(&b));
        let (Some(Values(va)), Some(Values(vb))) = (first.values, second.values) else { return None };
        if first.sql != second.sql || va.len() != vb.len() {
            return None;
        }
        let mut slots = Vec::new();
        for (at, (x, y)) in va.iter().zip(&vb).enumerate() {
            if x == y {
                if a.contains(x) {
                    return None;
                }
                continue;
            }
            let k = (0..N).find(|&k| &a[k] == x && &b[k] == y)?;
            slots.push((at, k));
        }
        Some(Reusable { backend, sql: first.sql, values: va, slots })
    }

    /// The statement with `params` bound where the stand-ins were.
    pub fn bind(&self, params: [Value; N]) -> Statement {
        let mut values = self.values.clone();
        for &(at, k) in &self.slots {
            values[at] = params[k].clone();
        }
        Statement::from_sql_and_values(self.backend, self.sql.clone(), values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

    fn statement(p: &[Value; 2]) -> SelectStatement {
        Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("t"))
            .and_where(Expr::col(Alias::new("a")).eq(p[0].clone()))
            .and_where(Expr::col(Alias::new("b")).eq(p[1].clone()).or(Expr::col(Alias::new("c")).eq(p[0].clone())))
            .and_where(Expr::col(Alias::new("d")).eq(7))
            .to_owned()
    }

    #[test]
    fn binding_gives_the_statement_the_builder_would() {
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let r = Reusable::new(backend, statement, ["\u{1}a".into(), 1i64.into()], ["\u{1}b".into(), 2i64.into()])
                .expect("reusable");
            let asked: [Value; 2] = ["X".into(), 42i64.into()];
            assert_eq!(r.bind(asked.clone()), backend.build(&statement(&asked)));
        }
    }

    #[test]
    fn a_value_derived_from_a_parameter_is_refused() {
        let derived = |p: &[Value; 1]| {
            let Value::BigInt(Some(n)) = p[0] else { unreachable!() };
            Query::select()
                .column(Alias::new("id"))
                .from(Alias::new("t"))
                .and_where(Expr::col(Alias::new("a")).eq(n + 1))
                .to_owned()
        };
        assert!(Reusable::new(DbBackend::Sqlite, derived, [1i64.into()], [2i64.into()]).is_none());
        // A stand-in that is also one of the statement's constants cannot be told apart.
        assert!(
            Reusable::new(DbBackend::Sqlite, statement, ["\u{1}a".into(), 7i32.into()], ["\u{1}b".into(), 8i32.into()])
                .is_none()
        );
    }
}
