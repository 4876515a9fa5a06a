"""Use-cases of the review queue. Each receives a Session and never opens one;
state changes write their audit event in the same transaction."""
