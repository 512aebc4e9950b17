import { test } from "uvu";
import * as assert from "uvu/assert";
import { DumpError, parseDump } from "../../src/migrate/mysql-dump.ts";

const WANT = new Set(["config_info", "users"]);

test("mysqldump output: CREATE TABLE gives the columns, multi-row INSERTs, escapes, NULL, _binary, hex, comments", () => {
  const sql = [
    "-- MySQL dump 10.13  Distrib 8.0.36",
    "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;",
    "DROP TABLE IF EXISTS `config_info`;",
    "CREATE TABLE `config_info` (",
    "  `id` bigint NOT NULL AUTO_INCREMENT COMMENT 'id',",
    "  `data_id` varchar(255) COLLATE utf8_bin NOT NULL COMMENT 'data_id, (with a comma)',",
    "  `content` longtext NOT NULL,",
    "  `md5` varchar(32) DEFAULT NULL,",
    "  `c_schema` text,",
    "  PRIMARY KEY (`id`),",
    "  UNIQUE KEY `uk` (`data_id`,`md5`)",
    ") ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb3 COLLATE=utf8_bin COMMENT='config_info';",
    "LOCK TABLES `config_info` WRITE;",
    "/*!40000 ALTER TABLE `config_info` DISABLE KEYS */;",
    "INSERT INTO `config_info` VALUES (1,'a.yaml','k: \\'v\\'\\nx: \"y\"\\\\z\\t;',NULL,_binary 'bin'),(2,'b','it''s',X'6869',0x6869),",
    "(3,'c','100\\% \\_',-1.5e3,'');",
    "/*!40000 ALTER TABLE `config_info` ENABLE KEYS */;",
    "UNLOCK TABLES;",
    "# another comment",
    "INSERT INTO `nacos`.`users` (`username`, `password`, `enabled`) VALUES ('nacos','$2a$10$x',1),('off','h',b'0');",
    "INSERT INTO `other` VALUES (1,'ignored');",
  ].join("\n");
  const t = parseDump(sql, WANT, 100);
  const c = t.get("config_info")!;
  assert.equal(c.columns, ["id", "data_id", "content", "md5", "c_schema"]);
  assert.equal(c.rows, [
    ["1", "a.yaml", "k: 'v'\nx: \"y\"\\z\t;", null, "bin"],
    ["2", "b", "it's", "hi", "hi"],
    ["3", "c", "100\\% \\_", "-1.5e3", ""],
  ]);
  assert.equal(t.get("users")!.rows, [["nacos", "$2a$10$x", "1"], ["off", "h", "0"]]);
  assert.not.ok(t.has("other"));
});

test("bad dumps are refused with the line", () => {
  assert.throws(() => parseDump("INSERT INTO `users` VALUES ('a','b',1);", WANT, 100), (e: Error) => e instanceof DumpError && /line 1: .*no CREATE TABLE users/.test(e.message));
  assert.throws(() => parseDump("INSERT INTO users (username) VALUES ('a);\n", WANT, 100), /string never closed/);
  assert.throws(() => parseDump("\n\nINSERT INTO users (username, password) VALUES ('a');", WANT, 100), /line 3: a row of users has 1 values for 2 columns/);
  assert.throws(() => parseDump("INSERT INTO users (username) VALUES ('a'),('b'),('c');", WANT, 2), /more than 2 rows/);
  assert.throws(() => parseDump("INSERT INTO users (username) VALUES (now());", WANT, 2), /where a value belongs/);
});

test.run();
