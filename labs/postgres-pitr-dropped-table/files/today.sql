-- The day's business, after the base backup.
\connect shop
SET ROLE shop;
INSERT INTO orders (customer_id, placed_at, status, total_cents)
SELECT 1 + (g * 53) % 300, timestamptz '2025-03-10 07:00:00+00' + (g - 2000) * interval '50 seconds',
       'new', 700 + (g * 104729) % 35000
FROM generate_series(2001, 2600) g;
UPDATE orders SET status = 'shipped' WHERE id BETWEEN 1800 AND 1999;
UPDATE orders SET status = 'paid' WHERE id > 2000 AND id % 3 = 0;
DELETE FROM orders WHERE id % 131 = 0 AND id > 2000;
UPDATE customers SET tier = 'gold' WHERE id IN (7, 77, 177);
INSERT INTO tickets (customer_id, opened_at, subject)
SELECT 1 + (g * 17) % 300, timestamptz '2025-03-10 08:00:00+00' + g * interval '5 minutes', 'Question ' || g
FROM generate_series(51, 80) g;
