CREATE TABLE refunds (
  id INT AUTO_INCREMENT PRIMARY KEY,
  order_id INT NOT NULL,
  FOREIGN KEY (order_id) REFERENCES orders (id)
);

INSERT INTO refunds (order_id)
  SELECT order_id FROM chargebacks;
