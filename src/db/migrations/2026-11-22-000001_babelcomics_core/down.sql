-- Intentionally empty: these tables hold the user's Babelcomics4 collection and are never dropped.
SELECT 1;
