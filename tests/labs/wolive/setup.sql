-- wolive lab: what the platform page (/platform -> 新增客服系统, App::edit -> Business::addBusiness)
-- creates, written as SQL because that form sits behind an image captcha: one business (商户)
-- and its super_manager agent (客服) kefu1 / KefuPass123 (password = md5(user_name . "hjkj" . password)).
-- The agent's nick name is what the visitor sees above the chat (admin: 个人资料 -> 昵称).
SET NAMES utf8mb4;
INSERT INTO wolive_business (id, admin_id, business_name, max_count, is_delete, copyright, logo, expire_time)
  VALUES (1, 1, '来客演示商城', 5, 0, '', '', 0);
INSERT INTO wolive_service (service_id, business_id, level, user_name, nick_name, password)
  VALUES (1, 1, 'super_manager', 'kefu1', '客服小美', MD5(CONCAT('kefu1', 'hjkj', 'KefuPass123')));
