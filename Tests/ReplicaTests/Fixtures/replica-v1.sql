-- A replica at schema version 1, as version 1 of pccc-sync wrote it (commit 25ea0ab, the last
-- before migration 2): node mk-kumanovo after receiving, in order, the ten batches in
-- replica-v1-batches.hex from rs-presevo and mk-tabanovce (groups region and rs-mk). They create
-- people (Cyrillic, Macedonian and Latin names), a vehicle, a document, a firearm and a request;
-- clear a field; update records of the other node; append a hit and a note; answer the request;
-- and erase a person (its tombstone, and its create redacted in batch_log).
--
-- Generated once from that commit's code and dumped table by table; never regenerate it from
-- current code. name_index's FTS5 shadow tables are left out: version 1's triggers on name_key
-- fill name_index from these rows as they are inserted. Tables version 1 left empty are omitted.


INSERT INTO batch_leaf (kind, record_id, origin, sharing_group, seq) VALUES
    ('document', '01a3185c-51f4-7cba-9916-3a14c4552357', 'mk-tabanovce', 'region', 1),
    ('firearm', '01a3185c-51f4-7f74-b56f-3c09ca2cf50a', 'mk-tabanovce', 'region', 1),
    ('firearm', '01a3185c-51f4-7f74-b56f-3c09ca2cf50a', 'rs-presevo', 'region', 4),
    ('hit', '01a3185d-3c54-74b0-acd3-0690c363213a', 'mk-tabanovce', 'region', 2),
    ('note', '01a3185d-3c54-7dad-9a24-8cbc1a458e6c', 'mk-tabanovce', 'region', 2),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'rs-presevo', 'region', 1),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'rs-presevo', 'region', 2),
    ('person', '01a3185c-51f4-7d87-892f-86494dc21a2b', 'mk-tabanovce', 'region', 1),
    ('person', '01a3185d-3a60-716d-b011-9688a92ae264', 'rs-presevo', 'rs-mk', 1),
    ('request', '01a3185f-0f20-72cf-8b1b-0f427135ae41', 'mk-tabanovce', 'region', 4),
    ('request', '01a3185f-0f20-72cf-8b1b-0f427135ae41', 'rs-presevo', 'region', 3),
    ('vehicle', '01a3185c-5000-755b-8244-d64d61b5b863', 'mk-tabanovce', 'region', 2),
    ('vehicle', '01a3185c-5000-755b-8244-d64d61b5b863', 'rs-presevo', 'region', 1);

INSERT INTO batch_log (origin, sharing_group, seq, header, signature, payload, raw_length, header_hash, hlc_max, change_count, received_at) VALUES
    ('mk-tabanovce', 'region', 1, X'010b666978747572652d6e65740c6d6b2d746162616e6f76636506726567696f6e0000000000000001000000000000000000000000000000000000000000000000000000000000000001a3185c51f4000101a3185c51f4000300000003992d75356fc2188dda3a63573fcb222785e5b4b911e2616994540827b894b2de', X'b9e2e2c08223bc458ec61c549e93a8d38fab18ec4db7d6b54a03697a2cc2f9c42b7a8c0b4b8901d683b058b47fb6dedaaad7d74da0f82d210e96d870151cb10e', X'789c3d4f4d4b0241189ed56d3585ba484427a1635f68a5155d3a96788888208265b4518676669699d94028d28222e8d6213af707441016830ed1a9d3bbffa5eecdaed8ed7d3e789ee7458e4fa412dc7a9b3f3bfcb97e785cbbdfaf7f2e2c21848435269185ec29ec11a92dc36618558af276be8519f53a2ec78cc47c01eee023ea46cf10c21006510f4610e6daf492f07f4f0e9e208cbac6f19ee75853c1b14775279652f51aca9e8b66c008d7e3deabd1ebdc4ee1eb78f1c4e878322685ecd8e7ea8e9f64667dac942fa49e35bb0233cc6d8a806b39497578c01a44c6285faf154be5f58de266a5ea288d75a062da9cc2231c655a54122cd9b8e8460fc5eef4f7f26fce580e26ed6994ce34cde8864ccaedea6aa56c337c91a01978817ed48b6ea10f03e83b8a488abde4f1d3bda395edad62a954fe03bc6179b9', 369, X'09dd5172f8570c4e051a99478d5abd0775010c18e973099c5e3ae53ad1e6d063', 117964800032768003, 3, 1800003600000),
    ('mk-tabanovce', 'region', 2, X'010b666978747572652d6e65740c6d6b2d746162616e6f76636506726567696f6e000000000000000209dd5172f8570c4e051a99478d5abd0775010c18e973099c5e3ae53ad1e6d06301a3185e24c0000201a3185e24c0000400000003a9579fe82d3bdb2dcfa3a44c851a717079e0bb972ef4407b336fe738397a880e', X'c30bd0e8f1545692fbb1859916b6d7b2f98a4fd5a758965f650fe5ff7f0aedb6229fa964cd80f5059fbff9f1ee91c5346badae4ec4e942330865d873b37f1200', X'789c7550bd4bc34014bfb6b145271107718ad04d0e2e69be5a1c75141c3af95592cb9504634f4252a4e052c149a43816275d1562b150b08d82b8bf22f8f7788d757478f078eff7deef0395daccf369c0720f6b877b283ee86e7fefdac31145086de6c5f0b8fc8ef22857a43ce0719813e3d569171218c30452788357d10f204105cf8f04fc68ab1e258f5fc5de07dda809f09d34ff5140d212f5183d616ec38eb23f2a514d4c14ace87552ad55488d90fd128f23ca4fd90cb0dce61d3fe072c776c3cfd46ef185b3c0a6d96a05ee05efb3a8998ac1f40a868b21a33c741bbe3b0394896257144ba75827846053d71d6ca99a865d43730dc5d11dcba820a9c523f6abfae2a95fbe1eafefdc04e2baf3a75a4285a21d471ecf9c17a127f8927f9994a6864dd732b155559bd832b4aae65255b155478ad879665a865b18c10b0c61228bdc5219fad34b11e6dc08a43fae0c8ce2', 401, X'eb3638d161a9a8516301c2fdd3ec1aff2f07f6cc9653049cb1b8a148dea21691', 117964807864320004, 3, 1800003600000),
    ('mk-tabanovce', 'region', 3, X'010b666978747572652d6e65740c6d6b2d746162616e6f76636506726567696f6e0000000000000003eb3638d161a9a8516301c2fdd3ec1aff2f07f6cc9653049cb1b8a148dea2169101a3185f0f20000301a3185f0f20000300000001605cf99d06f0bcbab95cd1b6c32431faa5d779d22725bd454ae2382ff0ca6976', X'ad82c410f5f04a3fdc2afe378a18335d207e0c952aaded79c0a3d6170a1a8a804cc70db765319fa1e4a8fb3ad587dc2628d00c4c8f5c84a348171243f449ac01', X'789c013800c7ff0106706572736f6e01a3185e26b47f2cae7ecd240e17917c19d0235dcf1df59b338e39a4a8a8bdb39285a05b89659bb178d7294a21897c7c7d6a1880', 56, X'4f8e0065b8b065a7c908202ab46d66b5cce820ea65d337511fa1cefdbb7b632d', 117964811796480003, 1, 1800003600000),
    ('mk-tabanovce', 'region', 4, X'010b666978747572652d6e65740c6d6b2d746162616e6f76636506726567696f6e00000000000000044f8e0065b8b065a7c908202ab46d66b5cce820ea65d337511fa1cefdbb7b632d01a3185f1114000001a3185f1114000000000001923162383423ebd02d35f3fe6c9c0bb01f79f12af8f116bd46511ed637f7ca25', X'1f177cbc6d9653e24b8b1541783e3fa82a5bed0c8196e4e301dfb3dcb3e8cb75dcb0398c0578b88b95b7a614f8d0aca9c484e7fb0801ce859027260ded582e0c', X'789c63602f4a2d2c4d2d2e615c2c11cfaf5074be5b9adfa9d0749d23030383331348505004c864624bcc2b2e4f2d6204b2252e4cb9b04147c1d0444fe1e28c0b1b2eecbdd87c61c3c5860b1bd88a4b124b4a8b416a3820ca5353008a792068', 96, X'299c89adcc30eb22b01f55438a239a6a56370869e4daac46f5c6bad0e4ac4aff', 117964811829248000, 1, 1800003600000),
    ('mk-tabanovce', 'region', 5, X'010b666978747572652d6e65740c6d6b2d746162616e6f76636506726567696f6e0000000000000005299c89adcc30eb22b01f55438a239a6a56370869e4daac46f5c6bad0e4ac4aff01a3185ffb74000001a3185ffb7400000000000120a4863ced620c2e27b4c2572b8e2dc29d433288363d9762a430f62acea5aed3', X'4123585bab917a2a2f293d1960e6dcc1cd4f23c688265371e64d7c7a617b108d37dac9cc9c44df51262c36af160f76dd01cbebf84aabde68fb109bb48059b20a', X'789c63602b482d2acecf635c2c11a7b6a55e675ddd59153ef189350c0c0ca2cc40c1f8df250c0cdcc9f9a54525f1f94529a9450082490fe1', 49, X'b47adbeff09392674e291c39d93134551826c16344afebb33de9c9e4c35f0927', 117964815761408000, 1, 1800003600000),
    ('rs-presevo', 'region', 1, X'010b666978747572652d6e65740a72732d7072657365766f06726567696f6e0000000000000001000000000000000000000000000000000000000000000000000000000000000001a3185c5000000001a3185c50000001000000029824f4ade5f41ea4532f37c17740824fd3e83af2cf473615e8feb2c24ba5cec9', X'e65b34c7ec3d4366edef3e8f459b0407f4be2f22a288f0663ba7b708dd73024e7f98fb683992acaa961868c76a4444082c7f4490b0769d7f1288d5bdc49f4e08', X'789c4d904f4b024118c677335752020f051da70f20b45a99a72e1d2210c240c1029976271d5c676576b4a48be917108ffd43e81881688224d945efef10f42dfa0ead6b46737ae779de179edfa36865c21d9ba94f1b67c70adf7fec3fbf7c5e07de1445f956e7a2fb56fcd8225ca8eea85d62268819c016c50e71665278d2b22d82a69d4a099b946123784eb928e44c2cc8cc0fea897822b2158be8dba10b5ca2562dc770c9b3c2d080b1accb360ca007437917ccd32a617f7e10ee610823e8c2fb6a0133d3a22c9f336cd333970ef510c382dacc0d236a9e943ad138c13320f7b7090feee508c6d047f24636e115ba483611b4651dbaf256367d0eb99a6daa49255025056a58640e5d396d1c7c25f16068b86e7bd184aa68ff9a70848bcd34c3b6ec0a9fa7fdf0b2f6a0bb5cc2452fa436ed146d13fbcbd66f1ba1740ae9d15864da99b4d638c95347700fc2e5aa30c1171cbe2af520d633e90cca66b3483fcaa25806c5f676e33bd11fe5239757', 440, X'93c5282eb5094942958681be93802956cfbdd0aff115be84aea47dd2e011c7a4', 117964800000000001, 2, 1800003600000),
    ('rs-presevo', 'region', 2, X'010b666978747572652d6e65740a72732d7072657365766f06726567696f6e000000000000000293c5282eb5094942958681be93802956cfbdd0aff115be84aea47dd2e011c7a401a3185e24c0000001a3185e24c0000000000001cabf78fcb65c500cfdf29567bf5c5166b6e23fc098ce2bdfe84c7439abf540a4', X'76d6728cf661710405c8309105816c2ceeb2bc930a822514eb9378fbfb27fa12fc3ca26ecc16e4b42b724aa42d62b03e99d2ee9385b2a03baf70ce5005839605', X'789c63602b482d2acecf635c2c1113c050643f6ff3eab597abd97731303028330105e3540e00994cac8939a945258c40264b5e7e5e2a7b624e6662716a310300653e124f', 63, X'17eb17b3a29e9fcdb777b50066610f11fc1be32f496c26538e2743255bb9baff', 117964807864320000, 1, 1800003600000),
    ('rs-presevo', 'region', 3, X'010b666978747572652d6e65740a72732d7072657365766f06726567696f6e000000000000000317eb17b3a29e9fcdb777b50066610f11fc1be32f496c26538e2743255bb9baff01a3185f0f20000101a3185f0f200001000000013fe239edf10942945b6b47a4c92a0427c53b33c7d32fd687aebf7f3bc91c6b4d', X'cd5d7929ac80249eed08cc1cd967a33aada195e54d01a49548fdb6eed0e38c73b567222e8b528345164587303f7df6c17da9a2e1ef7b60e054d9b52a13d86403', X'789c63602f4a2d2c4d2d2e615c2c11cfaf5074be5b9adfa9d0749d230303c34d4688200323031b675a517e6e7c5e7e4a2a235086aba858b7a028b538b52c9f03ac3b333f0f246e7261ca850d0a17765fd8a17071c685ad60d6c5361063ffc5860b5b2f760005f6295cd80ce46cb8b0172477b1d99eadb824b1a4b418a49f25bf20358fbbb834292b35b9243e33052ca8626098686c68619aac6b6a6060a06b6e649ca66b999a64ac9b98949892626c9e64609e94c85e920f771d4f6eb66e0950322fbf2c3995bdb4283d352fb91224c101b4292f25b12805000eaf5941', 246, X'5c0f5d425ee46fa4b685fb420edf0f748648e6712173449aeecd3b921cbec856', 117964811796480001, 1, 1800003600000),
    ('rs-presevo', 'region', 4, X'010b666978747572652d6e65740a72732d7072657365766f06726567696f6e00000000000000045c0f5d425ee46fa4b685fb420edf0f748648e6712173449aeecd3b921cbec85601a3185ffb74000201a3185ffb7400020000000112e4ac60bc6c367c82cd243bd495a80a8787cb21ad7656f5ddbec40e8c3b2f7f', X'8552bb5f86131479231373d5301e9debe57e7308fb639fa63809c65b543d77bf6170ca0927c80ad2507eb439ae7f2c18e82009ce0f9f17d5a43e99cf40093d02', X'789c63604fcb2c4a4d2cca655c2c1113f8a5be646bbe0de7299daf5c0c0c0c924c40c1f8df250c4c0c8cacb9f929a9398c4051665f730300d8920f12', 54, X'0a383e1a039794da2f2b76b57abaa044723745ac6e8430e0844fa9190d40cbf5', 117964815761408002, 1, 1800003600000),
    ('rs-presevo', 'rs-mk', 1, X'010b666978747572652d6e65740a72732d7072657365766f0572732d6d6b0000000000000001000000000000000000000000000000000000000000000000000000000000000001a3185d3a60000101a3185d3a60000100000001138bebda9a05bd60fa0173877d850bd4a8adfb7a4b22a8266579feb677599038', X'd7894eb5aec9213f60ce2a076ca6820e94937e7d5165a1a1d200280a16c5286f66ece80e65ae85921852805df4a9cb1858fe45b5bd4ba2a37e3466b2826a3100', X'789c63602b482d2acecf635c2c116b955098bb41705ac74aad47290c0c0c0e8c104106460626eeb4c4dccc9ccaf8bcc4dc5446a09c80efe13d3939a945ba471b4bb3138b33b3b9d233cb52f3e0f22c51f9875703003aa81d91', 92, X'1036a92dacdc379dddf25c41a9129a09c91bcda188724ee331740f346ed97fc9', 117964803932160001, 1, 1800003600000);

INSERT INTO document (id, sharing_group, origin, created_at, doc_type, number, issuing_country, status, handling_code, source_reliability, info_accuracy, derived_from) VALUES
    ('01a3185c-51f4-7cba-9916-3a14c4552357', 'region', 'mk-tabanovce', '2027-01-15T08:00:00.500Z', 'passport', 'MK 1234 567', 'MK', 'stolen', NULL, NULL, NULL, NULL);

INSERT INTO field_clock (kind, record_id, field, hlc, origin) VALUES
    ('document', '01a3185c-51f4-7cba-9916-3a14c4552357', 'doc_type', 117964800032768002, 'mk-tabanovce'),
    ('document', '01a3185c-51f4-7cba-9916-3a14c4552357', 'issuing_country', 117964800032768002, 'mk-tabanovce'),
    ('document', '01a3185c-51f4-7cba-9916-3a14c4552357', 'number', 117964800032768002, 'mk-tabanovce'),
    ('document', '01a3185c-51f4-7cba-9916-3a14c4552357', 'status', 117964800032768002, 'mk-tabanovce'),
    ('firearm', '01a3185c-51f4-7f74-b56f-3c09ca2cf50a', 'calibre', 117964800032768003, 'mk-tabanovce'),
    ('firearm', '01a3185c-51f4-7f74-b56f-3c09ca2cf50a', 'make', 117964800032768003, 'mk-tabanovce'),
    ('firearm', '01a3185c-51f4-7f74-b56f-3c09ca2cf50a', 'model', 117964815761408002, 'rs-presevo'),
    ('firearm', '01a3185c-51f4-7f74-b56f-3c09ca2cf50a', 'serial', 117964800032768003, 'mk-tabanovce'),
    ('hit', '01a3185d-3c54-74b0-acd3-0690c363213a', 'checked_at', 117964807864320003, 'mk-tabanovce'),
    ('hit', '01a3185d-3c54-74b0-acd3-0690c363213a', 'outcome', 117964807864320003, 'mk-tabanovce'),
    ('hit', '01a3185d-3c54-74b0-acd3-0690c363213a', 'place', 117964807864320003, 'mk-tabanovce'),
    ('hit', '01a3185d-3c54-74b0-acd3-0690c363213a', 'record_id', 117964807864320003, 'mk-tabanovce'),
    ('note', '01a3185d-3c54-7dad-9a24-8cbc1a458e6c', 'author', 117964807864320004, 'mk-tabanovce'),
    ('note', '01a3185d-3c54-7dad-9a24-8cbc1a458e6c', 'record_id', 117964807864320004, 'mk-tabanovce'),
    ('note', '01a3185d-3c54-7dad-9a24-8cbc1a458e6c', 'text', 117964807864320004, 'mk-tabanovce'),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'alert', 117964807864320000, 'rs-presevo'),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'aliases', 117964807864320000, 'rs-presevo'),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'birth_date', 117964800000000000, 'rs-presevo'),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'family_name', 117964800000000000, 'rs-presevo'),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'given_name', 117964800000000000, 'rs-presevo'),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'handling_code', 117964800000000000, 'rs-presevo'),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'nationality', 117964800000000000, 'rs-presevo'),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'reason', 117964800000000000, 'rs-presevo'),
    ('person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'sex', 117964800000000000, 'rs-presevo'),
    ('person', '01a3185c-51f4-7d87-892f-86494dc21a2b', 'alert', 117964800032768001, 'mk-tabanovce'),
    ('person', '01a3185c-51f4-7d87-892f-86494dc21a2b', 'family_name', 117964800032768001, 'mk-tabanovce'),
    ('person', '01a3185c-51f4-7d87-892f-86494dc21a2b', 'given_name', 117964800032768001, 'mk-tabanovce'),
    ('person', '01a3185c-51f4-7d87-892f-86494dc21a2b', 'nationality', 117964800032768001, 'mk-tabanovce'),
    ('person', '01a3185d-3a60-716d-b011-9688a92ae264', 'family_name', 117964803932160001, 'rs-presevo'),
    ('person', '01a3185d-3a60-716d-b011-9688a92ae264', 'given_name', 117964803932160001, 'rs-presevo'),
    ('request', '01a3185f-0f20-72cf-8b1b-0f427135ae41', 'answer', 117964811829248000, 'mk-tabanovce'),
    ('request', '01a3185f-0f20-72cf-8b1b-0f427135ae41', 'from_node', 117964811796480001, 'rs-presevo'),
    ('request', '01a3185f-0f20-72cf-8b1b-0f427135ae41', 'question', 117964811796480001, 'rs-presevo'),
    ('request', '01a3185f-0f20-72cf-8b1b-0f427135ae41', 'status', 117964811829248000, 'mk-tabanovce'),
    ('request', '01a3185f-0f20-72cf-8b1b-0f427135ae41', 'subject_ids', 117964811796480001, 'rs-presevo'),
    ('request', '01a3185f-0f20-72cf-8b1b-0f427135ae41', 'to_node', 117964811796480001, 'rs-presevo'),
    ('request', '01a3185f-0f20-72cf-8b1b-0f427135ae41', 'urgency', 117964811796480001, 'rs-presevo'),
    ('vehicle', '01a3185c-5000-755b-8244-d64d61b5b863', 'alert', 117964800000000001, 'rs-presevo'),
    ('vehicle', '01a3185c-5000-755b-8244-d64d61b5b863', 'colour', 117964807864320002, 'mk-tabanovce'),
    ('vehicle', '01a3185c-5000-755b-8244-d64d61b5b863', 'make', 117964800000000001, 'rs-presevo'),
    ('vehicle', '01a3185c-5000-755b-8244-d64d61b5b863', 'plate', 117964800000000001, 'rs-presevo'),
    ('vehicle', '01a3185c-5000-755b-8244-d64d61b5b863', 'registration_country', 117964800000000001, 'rs-presevo'),
    ('vehicle', '01a3185c-5000-755b-8244-d64d61b5b863', 'vin', 117964800000000001, 'rs-presevo');

INSERT INTO firearm (id, sharing_group, origin, created_at, serial, make, model, calibre, status, handling_code, source_reliability, info_accuracy, derived_from) VALUES
    ('01a3185c-51f4-7f74-b56f-3c09ca2cf50a', 'region', 'mk-tabanovce', '2027-01-15T08:00:00.500Z', 'ZAS-98 112', 'Застава', 'M70', '7.62', NULL, NULL, NULL, NULL, NULL);

INSERT INTO hit (id, sharing_group, origin, created_at, record_id, place, checked_at, outcome) VALUES
    ('01a3185d-3c54-74b0-acd3-0690c363213a', 'region', 'mk-tabanovce', '2027-01-15T08:02:00.000Z', '01a3185c-5000-755b-8244-d64d61b5b863', 'Табановце', '2027-01-15T09:30:00Z', 'vozilo zadržano');

INSERT INTO name_key (rowid, kind, record_id, keys) VALUES
    (1, 'person', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'djordjevic dordevic milan'),
    (2, 'vehicle', '01a3185c-5000-755b-8244-d64d61b5b863', 'vr 123 sdj vr 123 sd wvw zzz 1jz 3w 386752'),
    (3, 'person', '01a3185c-51f4-7d87-892f-86494dc21a2b', 'gjorgjievski kjiril'),
    (4, 'document', '01a3185c-51f4-7cba-9916-3a14c4552357', 'mk 1234 567'),
    (5, 'firearm', '01a3185c-51f4-7f74-b56f-3c09ca2cf50a', 'zas 98 112'),
    (6, 'person', '01a3185d-3a60-716d-b011-9688a92ae264', 'muller lukasik zoe');

INSERT INTO note (id, sharing_group, origin, created_at, record_id, author, text) VALUES
    ('01a3185d-3c54-7dad-9a24-8cbc1a458e6c', 'region', 'mk-tabanovce', '2027-01-15T08:02:00.000Z', '01a3185c-51f4-7d87-892f-86494dc21a2b', 'Ана', 'Виден во Куманово');

INSERT INTO person (id, sharing_group, origin, created_at, family_name, given_name, birth_date, birth_place, nationality, sex, aliases, alert, reason, handling_code, source_reliability, info_accuracy, derived_from) VALUES
    ('01a3185c-5000-723f-9eb3-abadd37b07ba', 'region', 'rs-presevo', '2027-01-15T08:00:00.000Z', 'Ђорђевић', 'Милан', '1979-03-14', NULL, 'RS', 'M', NULL, 'none', 'Налог суда у Врању', 'H1', NULL, NULL, NULL),
    ('01a3185c-51f4-7d87-892f-86494dc21a2b', 'region', 'mk-tabanovce', '2027-01-15T08:00:00.500Z', 'Ѓорѓиевски', 'Ќирил', NULL, NULL, 'MK', NULL, NULL, 'missing', NULL, NULL, NULL, NULL, NULL),
    ('01a3185d-3a60-716d-b011-9688a92ae264', 'rs-mk', 'rs-presevo', '2027-01-15T08:01:00.000Z', 'Müller-Łukasik', 'Zoë', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

INSERT INTO replica_meta (key, value) VALUES
    ('hlc', '117965035929600009'),
    ('network', 'fixture-net'),
    ('node_id', 'mk-kumanovo');

INSERT INTO request (id, sharing_group, origin, created_at, from_node, to_node, urgency, subject_ids, question, status, answer, handling_code, source_reliability, info_accuracy, derived_from) VALUES
    ('01a3185f-0f20-72cf-8b1b-0f427135ae41', 'region', 'rs-presevo', '2027-01-15T08:03:00.000Z', 'rs-presevo', 'mk-tabanovce', 'standard', '01a3185c-5000-723f-9eb3-abadd37b07ba', 'Да ли је лице прешло границу?', 'answered', 'Да, 14. јануара', NULL, NULL, NULL, NULL);

INSERT INTO stream_head (origin, sharing_group, seq, header_hash) VALUES
    ('mk-tabanovce', 'region', 5, X'b47adbeff09392674e291c39d93134551826c16344afebb33de9c9e4c35f0927'),
    ('rs-presevo', 'region', 4, X'0a383e1a039794da2f2b76b57abaa044723745ac6e8430e0844fa9190d40cbf5'),
    ('rs-presevo', 'rs-mk', 1, X'1036a92dacdc379dddf25c41a9129a09c91bcda188724ee331740f346ed97fc9');

INSERT INTO tombstone (kind, record_id, hlc, origin, reason, sharing_group) VALUES
    ('person', '01a3185e-26b4-7f2c-ae7e-cd240e17917c', 117964815761408000, 'mk-tabanovce', 'court_order', 'region');

INSERT INTO vehicle (id, sharing_group, origin, created_at, plate, vin, make, model, colour, registration_country, alert, handling_code, source_reliability, info_accuracy, derived_from) VALUES
    ('01a3185c-5000-755b-8244-d64d61b5b863', 'region', 'rs-presevo', '2027-01-15T08:00:00.000Z', 'VR 123-ŠĐ', 'WVW ZZZ 1JZ 3W 386752', 'Škoda', NULL, 'тамноплава', 'RS', 'stolen', NULL, NULL, NULL, NULL);
