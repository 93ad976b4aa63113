"""Small word lists for made-up names and addresses (North Central London flavour).

Nothing here describes a real person. Street names are common London-style words
combined at random; phone numbers use Ofcom's drama ranges (020 7946 0xxx,
07700 900xxx) and emails use reserved example domains.
"""

from __future__ import annotations

GIVEN_FEMALE = [
    "Olivia", "Amelia", "Sophie", "Grace", "Emily", "Jessica", "Hannah", "Chloe", "Sarah",
    "Rebecca", "Laura", "Charlotte", "Lucy", "Helen", "Claire", "Joanne", "Michelle", "Karen",
    "Susan", "Margaret", "Patricia", "Linda", "Deborah", "Julie", "Anna", "Maria", "Agnieszka",
    "Katarzyna", "Fatima", "Aisha", "Amina", "Hodan", "Fadumo", "Nasrin", "Rukhsana", "Shirin",
    "Priya", "Anjali", "Sunita", "Mei", "Ling", "Zeynep", "Elif", "Ayse", "Chiamaka", "Ngozi",
    "Abena", "Precious", "Marcia", "Beverley", "Siobhan", "Aoife", "Bridget", "Ioana", "Elena",
    "Sofia", "Leyla", "Yasmin", "Nadia", "Rosa",
]
GIVEN_MALE = [
    "Oliver", "Harry", "George", "Jack", "James", "Thomas", "Daniel", "Michael", "David", "John",
    "Paul", "Mark", "Andrew", "Peter", "Richard", "Stephen", "Robert", "Christopher", "Gary",
    "Kevin", "Anthony", "Piotr", "Tomasz", "Marek", "Mohammed", "Ahmed", "Abdi", "Mustafa",
    "Hassan", "Omar", "Imran", "Tariq", "Rahul", "Sanjay", "Arjun", "Wei", "Jun", "Mehmet",
    "Emre", "Kemal", "Chinedu", "Emeka", "Kwame", "Kofi", "Tunde", "Winston", "Delroy", "Leroy",
    "Sean", "Patrick", "Declan", "Andrei", "Bogdan", "Luca", "Marco", "Ravi", "Yusuf", "Ali",
    "Samuel", "Joseph",
]
GIVEN_UNISEX = ["Alex", "Sam", "Jordan", "Charlie", "Robin", "Jamie", "Kit", "Ash"]

FAMILY = [
    "Smith", "Jones", "Williams", "Brown", "Taylor", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes",
    "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke",
    "Clark", "Turner", "Hill", "Scott", "Cooper", "Morris", "Ward", "Moore", "King", "Watson",
    "Baker", "Harrison", "Morgan", "Patel", "Shah", "Begum", "Khan", "Ahmed", "Hussain", "Ali",
    "Rahman", "Miah", "Islam", "Singh", "Kaur", "Sharma", "Gupta", "Chowdhury", "Mohamed",
    "Osman", "Farah", "Hassan", "Yilmaz", "Kaya", "Demir", "Ozturk", "Nowak", "Kowalski",
    "Wisniewski", "Wojcik", "Popescu", "Ionescu", "Okafor", "Adeyemi", "Mensah", "Owusu",
    "Boateng", "Campbell", "Francis", "Grant", "Murphy", "Kelly", "O'Brien", "Byrne", "Walsh",
    "Papadopoulos", "Georgiou", "Christodoulou", "Rossi", "Silva", "Santos", "Chen", "Wang",
    "Li", "Nguyen", "Da Costa",
]

TITLES_F = ["Ms", "Mrs", "Miss", "Dr"]
TITLES_M = ["Mr", "Dr"]
TITLES_U = ["Mx"]

STREET_WORDS = [
    "Holloway", "Caledonian", "Seven Sisters", "Hornsey", "Tottenham", "Fortess", "Junction",
    "Highbury", "Canonbury", "Essex", "Upper", "Liverpool", "Kentish", "Chalk Farm", "Fleet",
    "Malden", "Agar", "Fonthill", "Blackstock", "Stroud Green", "Lordship", "Philip", "Bounds",
    "Green Lanes", "Church", "Station", "Park", "Victoria", "Albert", "Grange", "Manor",
    "Mill", "Hermitage", "Brecknock", "Camden", "Finchley", "Ballards", "Hendon", "Edgware",
    "Bowes", "Hertford", "Fore", "Silver", "Chase", "Bush Hill", "Ponders", "Lancaster",
    "Windsor", "Elm", "Oak", "Cedar", "Beech", "Chestnut", "Willow", "Rosebery", "Crescent",
    "Queens", "Kings", "Priory", "Archway", "Dartmouth", "Raleigh", "Lennox",
]
STREET_TYPES = ["Road", "Street", "Avenue", "Lane", "Grove", "Close", "Gardens", "Place",
                "Way", "Terrace", "Rise", "Court"]
ESTATE_WORDS = ["House", "Court", "Lodge", "Tower", "Mansions", "Point"]

# borough -> list of (area, postcode district)
BOROUGHS: dict[str, list[tuple[str, str]]] = {
    "Barnet": [("Hendon", "NW4"), ("Finchley", "N3"), ("Edgware", "HA8"), ("Barnet", "EN5"),
               ("Mill Hill", "NW7"), ("Golders Green", "NW11"), ("Colindale", "NW9"),
               ("Whetstone", "N20"), ("East Finchley", "N2"), ("Friern Barnet", "N11")],
    "Camden": [("Kentish Town", "NW5"), ("Camden Town", "NW1"), ("Hampstead", "NW3"),
               ("Kilburn", "NW6"), ("Holborn", "WC1"), ("Gospel Oak", "NW5"),
               ("Somers Town", "NW1"), ("Highgate", "N6")],
    "Enfield": [("Edmonton", "N9"), ("Enfield Town", "EN1"), ("Ponders End", "EN3"),
                ("Southgate", "N14"), ("Palmers Green", "N13"), ("Winchmore Hill", "N21"),
                ("Upper Edmonton", "N18"), ("Enfield Lock", "EN3")],
    "Haringey": [("Tottenham", "N17"), ("Wood Green", "N22"), ("Hornsey", "N8"),
                 ("Crouch End", "N8"), ("Muswell Hill", "N10"), ("Seven Sisters", "N15"),
                 ("Harringay", "N4"), ("Northumberland Park", "N17")],
    "Islington": [("Holloway", "N7"), ("Archway", "N19"), ("Highbury", "N5"),
                  ("Finsbury Park", "N4"), ("Canonbury", "N1"), ("Clerkenwell", "EC1"),
                  ("Angel", "N1"), ("Barnsbury", "N1")],
}
BOROUGH_NAMES = list(BOROUGHS)
# share of the register by borough and a deprivation shift (negative = more deprived)
BOROUGH_SHARE = [0.20, 0.19, 0.21, 0.21, 0.19]
BOROUGH_DEPRIVATION = [1.0, 0.0, -0.5, -1.2, -1.0]
# 2011 LSOA code ranges for the five boroughs (the IMD values attached are synthetic)
BOROUGH_LSOA_RANGES = {
    "Barnet": (115, 325), "Camden": (842, 975), "Enfield": (1411, 1593),
    "Haringey": (1930, 2074), "Islington": (2704, 2878),
}

UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

PRACTICE_KINDS = ["Medical Centre", "Surgery", "Health Centre", "Group Practice", "Practice",
                  "Medical Practice", "Family Practice"]
TEAM_LOCALITIES = ["North", "South", "East", "West", "Central"]

EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
