CREATE ROLE inventory LOGIN PASSWORD 'Tundra-Lantern-58';
CREATE DATABASE inventory OWNER postgres;
\connect inventory
CREATE TABLE products (sku text PRIMARY KEY, name text NOT NULL, qty integer NOT NULL DEFAULT 0);
INSERT INTO products VALUES
  ('HW-1001', 'Hex bolt M8x40', 1200),
  ('HW-1002', 'Washer M8', 3400),
  ('HW-2040', 'Hinge, stainless 75 mm', 86),
  ('TL-0007', 'Torque wrench 20-100 Nm', 4);
GRANT SELECT ON products TO inventory;
