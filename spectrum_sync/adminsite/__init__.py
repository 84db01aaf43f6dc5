"""The admin's building blocks: roles, tenant scoping, fast history, explanations, dashboard, onboarding."""
