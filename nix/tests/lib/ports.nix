# Ports read from other services' configuration (the tuner's localPorts).
{ lib }:
{
  testPropertyPort = {
    expr = map lib.propertyPort [ 8090 "9401" "09401" 0 70000 "70000" "" "90a" true null ];
    expected = [ 8090 9401 9401 null null null null null null null ];
  };
  testKafkaListenerForms = {
    expr = map lib.kafkaListener [
      "PLAINTEXT://127.0.0.1:9092"
      "SASL_SSL://[::1]:9094"
      "INSIDE://:19092"
      "CONTROLLER://localhost:9093"
      "PLAINTEXT://0.0.0.0:0"
      "no listener"
      "PLAINTEXT://host"
    ];
    expected = [
      { name = "PLAINTEXT"; port = 9092; }
      { name = "SASL_SSL"; port = 9094; }
      { name = "INSIDE"; port = 19092; }
      { name = "CONTROLLER"; port = 9093; }
      null
      null
      null
    ];
  };
  testOtherInstancePortsLeaveOutTheInstanceItself = {
    expr = {
      web = lib.otherInstancePorts "web" { web = 4096; docs = 4098; ci = 4097; };
      alone = lib.otherInstancePorts "web" { web = 4096; };
      shared = lib.otherInstancePorts "a" { a = 1; b = 7; c = 7; };
    };
    expected = { web = [ 4097 4098 ]; alone = [ ]; shared = [ 7 ]; };
  };
  testKafkaListenersFromListAndString = {
    expr = {
      list = lib.kafkaListeners [ "PLAINTEXT://127.0.0.1:9092" "CONTROLLER://127.0.0.1:9093" ];
      string = lib.kafkaListeners "SASL_PLAINTEXT://10.0.0.5:9094, CONTROLLER://127.0.0.1:9095";
    };
    expected = {
      list = [ { name = "PLAINTEXT"; port = 9092; } { name = "CONTROLLER"; port = 9093; } ];
      string = [ { name = "SASL_PLAINTEXT"; port = 9094; } { name = "CONTROLLER"; port = 9095; } ];
    };
  };
}
