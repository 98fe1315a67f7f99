"""Official testsuites: where they come from (pinned commits), where they live, and what is present."""
