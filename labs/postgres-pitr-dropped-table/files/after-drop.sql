-- The shop kept running after the accident: sign-ups, profile changes, support tickets.
\connect shop
SET ROLE shop;
INSERT INTO customers (name, email, tier)
SELECT 'Customer ' || g, 'customer' || g || '@example.com', 'standard' FROM generate_series(301, 325) g;
UPDATE customers SET email = 'c' || id || '@new.example.com' WHERE id IN (12, 120, 240);
INSERT INTO tickets (customer_id, opened_at, subject)
SELECT 1 + (g * 19) % 325, timestamptz '2025-03-10 11:00:00+00' + g * interval '3 minutes', 'Where is my order? #' || g
FROM generate_series(81, 120) g;
