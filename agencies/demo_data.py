"""Names for seed_demo: real Thai ministries and departments; the GFMIS codes are illustrative."""

# (ministry code, Thai, English, [(department code suffix, Thai, English), ...])
MINISTRIES = [
    ("03", "กระทรวงการคลัง", "Ministry of Finance", [
        ("004", "กรมบัญชีกลาง", "Comptroller General's Department"),
        ("005", "กรมธนารักษ์", "Treasury Department"),
        ("006", "กรมศุลกากร", "Customs Department"),
        ("007", "กรมสรรพสามิต", "Excise Department"),
        ("008", "กรมสรรพากร", "Revenue Department"),
    ]),
    ("07", "กระทรวงเกษตรและสหกรณ์", "Ministry of Agriculture and Cooperatives", [
        ("003", "กรมชลประทาน", "Royal Irrigation Department"),
        ("006", "กรมประมง", "Department of Fisheries"),
        ("007", "กรมปศุสัตว์", "Department of Livestock Development"),
        ("010", "กรมส่งเสริมการเกษตร", "Department of Agricultural Extension"),
    ]),
    ("15", "กระทรวงมหาดไทย", "Ministry of Interior", [
        ("003", "กรมการปกครอง", "Department of Provincial Administration"),
        ("004", "กรมการพัฒนาชุมชน", "Community Development Department"),
        ("005", "กรมที่ดิน", "Department of Lands"),
        ("008", "กรมส่งเสริมการปกครองท้องถิ่น", "Department of Local Administration"),
    ]),
    ("20", "กระทรวงศึกษาธิการ", "Ministry of Education", [
        ("001", "สำนักงานปลัดกระทรวงศึกษาธิการ", "Office of the Permanent Secretary for Education"),
        ("004", "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน", "Office of the Basic Education Commission"),
        ("005", "สำนักงานคณะกรรมการการอาชีวศึกษา", "Office of the Vocational Education Commission"),
    ]),
    ("21", "กระทรวงสาธารณสุข", "Ministry of Public Health", [
        ("002", "สำนักงานปลัดกระทรวงสาธารณสุข", "Office of the Permanent Secretary for Public Health"),
        ("003", "กรมการแพทย์", "Department of Medical Services"),
        ("004", "กรมควบคุมโรค", "Department of Disease Control"),
        ("009", "กรมอนามัย", "Department of Health"),
    ]),
    ("12", "กระทรวงคมนาคม", "Ministry of Transport", [
        ("006", "กรมทางหลวง", "Department of Highways"),
        ("007", "กรมทางหลวงชนบท", "Department of Rural Roads"),
        ("008", "กรมการขนส่งทางบก", "Department of Land Transport"),
    ]),
]  # fmt: skip

PROVINCES = [
    "กระบี่", "กาญจนบุรี", "กาฬสินธุ์", "กำแพงเพชร", "ขอนแก่น", "จันทบุรี", "ฉะเชิงเทรา",
    "ชลบุรี", "ชัยนาท", "ชัยภูมิ", "ชุมพร", "เชียงราย", "เชียงใหม่", "ตรัง", "ตราด", "ตาก",
    "นครนายก", "นครปฐม", "นครพนม", "นครราชสีมา", "นครศรีธรรมราช", "นครสวรรค์", "นนทบุรี",
    "นราธิวาส", "น่าน", "บึงกาฬ", "บุรีรัมย์", "ปทุมธานี", "ประจวบคีรีขันธ์", "ปราจีนบุรี",
    "ปัตตานี", "พระนครศรีอยุธยา", "พะเยา", "พังงา", "พัทลุง", "พิจิตร", "พิษณุโลก",
    "เพชรบุรี", "เพชรบูรณ์", "แพร่", "ภูเก็ต", "มหาสารคาม", "มุกดาหาร", "แม่ฮ่องสอน",
    "ยโสธร", "ยะลา", "ร้อยเอ็ด", "ระนอง", "ระยอง", "ราชบุรี", "ลพบุรี", "ลำปาง", "ลำพูน",
    "เลย", "ศรีสะเกษ", "สกลนคร", "สงขลา", "สตูล", "สมุทรปราการ", "สมุทรสงคราม",
    "สมุทรสาคร", "สระแก้ว", "สระบุรี", "สิงห์บุรี", "สุโขทัย", "สุพรรณบุรี", "สุราษฎร์ธานี",
    "สุรินทร์", "หนองคาย", "หนองบัวลำภู", "อ่างทอง", "อำนาจเจริญ", "อุดรธานี", "อุตรดิตถ์",
    "อุทัยธานี", "อุบลราชธานี",
]  # fmt: skip

FIRST_NAMES = [
    ("สมชาย", "Somchai"), ("สมหญิง", "Somying"), ("วิไลวรรณ", "Wilaiwan"), ("ประเสริฐ", "Prasert"),
    ("สุดารัตน์", "Sudarat"), ("ธนพล", "Thanaphon"), ("กมลชนก", "Kamonchanok"), ("อนุชา", "Anucha"),
    ("พิมพ์ชนก", "Phimchanok"), ("ณัฐวุฒิ", "Nattawut"), ("จิราพร", "Jiraporn"), ("ศักดิ์ชัย", "Sakchai"),
    ("รัตนา", "Rattana"), ("ปิยะพงษ์", "Piyaphong"), ("อรุณี", "Arunee"), ("วีระพงษ์", "Weeraphong"),
]  # fmt: skip

LAST_NAMES = [
    ("ใจดี", "Jaidee"), ("รักชาติ", "Rakchat"), ("ศรีสุข", "Srisuk"), ("บุญมา", "Boonma"),
    ("ทองคำ", "Thongkham"), ("แก้วมณี", "Kaewmanee"), ("สุขสวัสดิ์", "Suksawat"), ("วงศ์ไทย", "Wongthai"),
    ("พรหมมา", "Prommar"), ("จันทร์เพ็ญ", "Janpen"), ("มั่นคง", "Mankong"), ("เจริญผล", "Charoenphon"),
]  # fmt: skip
