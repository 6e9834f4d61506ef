"""Management review (9.3): the meeting, its input pack built from live data, the decisions
taken as tracked actions, and the minutes signed by the chair."""
