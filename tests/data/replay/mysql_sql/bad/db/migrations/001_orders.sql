CREATE TABLE orders (
  id INT AUTO_INCREMENT PRIMARY KEY,
  total DECIMAL(10, 2) NOT NULL,
  note VARCHAR(200) DEFAULT 'thanks; see you'
);

DELIMITER $$
CREATE TRIGGER orders_total_check BEFORE INSERT ON orders
FOR EACH ROW
BEGIN
  IF NEW.total < 0 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'negative total';
  END IF;
END$$
DELIMITER ;

CREATE INDEX orders_total ON orders (total);
